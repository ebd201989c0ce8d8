// Dosewise: on the report view, a button for the browser's own print ("Save as PDF" works
// in every browser). Hidden while printing, so it never appears on paper.
(function () {
  "use strict";
  if (typeof window.print !== "function") return;
  var bar = document.createElement("p");
  var button = document.createElement("button");
  button.type = "button";
  button.id = "print";
  button.textContent = "Print or save as PDF";
  button.addEventListener("click", function () { window.print(); });
  bar.appendChild(button);
  document.body.insertBefore(bar, document.body.firstChild);
  window.addEventListener("beforeprint", function () { bar.hidden = true; });
  window.addEventListener("afterprint", function () { bar.hidden = false; });
})();
