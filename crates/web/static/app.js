// Dosewise: small progressive enhancement. Everything works without this file.
// On the dose form, show what the amount converts to and the safety check's verdict as you
// type, by asking the server for a dry run (nothing is written).
(function () {
  "use strict";
  var form = document.getElementById("dose-form");
  var out = document.getElementById("conv-live");
  if (!form || !out) return;
  var timer = null;
  var seq = 0;
  // By id: the one-tap amount buttons share the amount field's name.
  function value(id) {
    var el = document.getElementById(id);
    return el ? el.value.trim() : "";
  }
  // The "When" choice: a relative time, now, or the date-and-time field.
  function when() {
    var w = form.elements.when ? form.elements.when.value : "";
    if (w === "now") return null;
    if (w && w !== "other") return w;
    return value("at") || null;
  }
  function show(lines, verdictText) {
    out.textContent = "";
    lines.forEach(function (l) {
      var p = document.createElement("div");
      p.textContent = l;
      out.appendChild(p);
    });
    if (verdictText) {
      var v = document.createElement("div");
      v.className = "live-verdict";
      v.textContent = verdictText;
      out.appendChild(v);
    }
  }
  function preview() {
    var amount = value("amount");
    var stock = value("stock");
    var body = {
      amount: amount,
      dry_run: true,
      at: when(),
      route: value("route") || null
    };
    if (stock === "none") body.no_stock = true; else if (stock) body.stock = stock;
    var mine = ++seq;
    fetch("/api/v1/doses", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (mine !== seq) return;
      if (j.error) { show([j.error.message], ""); return; }
      var n = (j.verdict && j.verdict.findings) ? j.verdict.findings.length : 0;
      var verdict = j.refused ? "The safety check would refuse this dose (press \u201cCheck first\u201d for the reasons)."
        : (n ? "Safety check: " + n + " finding" + (n > 1 ? "s" : "") + " (press \u201cCheck first\u201d to read them)." : "Safety check: no findings.");
      show(j.conversion || [], verdict);
    }).catch(function () { /* offline or server stopped: the form still works */ });
  }
  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(preview, 350);
  }
  ["amount", "stock", "route", "at"].forEach(function (n) {
    var el = document.getElementById(n);
    if (el) { el.addEventListener("input", later); el.addEventListener("change", later); }
  });
  Array.prototype.forEach.call(form.querySelectorAll("input[name=when]"), function (el) {
    el.addEventListener("change", later);
  });
  // What the planned dose (an empty amount) would be, before anything is typed.
  if (!document.querySelector(".verdict")) preview();
})();
