// What both browser tests share: Debian's Chromium launched the same way, numbered steps that
// report "ok"/"not ok" and go on, and the checks every page must pass (run inside the page).
import { chromium } from "playwright-core";

/** Chromium, headless, without anything that would reach the network on its own. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.DOSEWISE_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

/** Steps that report and go on; `failed()` says whether any did not pass. `onFail` adds context. */
export function stepper(onFail = async () => "") {
  let failed = false;
  const step = async (name, fn) => {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (e) {
      failed = true;
      const more = await onFail().catch(() => "");
      console.log(`not ok - ${name}\n${e.stack || e}${more ? `\n${more}` : ""}`);
    }
  };
  return { step, failed: () => failed };
}

// Every visible control has a label (a <label>, aria-label or aria-labelledby).
export async function unlabelled(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => el.type !== "hidden")
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby") && !(el.tagName === "BUTTON" && el.textContent.trim()))
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

// Text fields drawn too small to type in: a visible text-like input or textarea narrower than
// 120 px (a check-box rule once drew the check-in's "Other side effects" box as a 22 px square).
export async function squeezed(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("input, textarea")]
      .filter((el) => ["text", "search", "email", "url", "number", "password", "date", "datetime-local", "textarea"].includes(el.type))
      .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().width < 120)
      .map((el) => `${el.outerHTML.slice(0, 100)} is ${Math.round(el.getBoundingClientRect().width)} px wide`),
  );
}

// WCAG contrast of every piece of text against its effective background (semi-transparent
// backgrounds composited over their ancestors'); at least 4.5:1, or 3:1 for large text.
export async function lowContrast(page) {
  return page.evaluate(() => {
    const rgba = (s) => { const m = s.match(/[\d.]+/g) || []; return m.length >= 3 ? [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1] : [0, 0, 0, 0]; };
    const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat(1); };
    const background = (el) => {
      const chain = [];
      for (let e = el; e; e = e.parentElement) chain.push(rgba(getComputedStyle(e).backgroundColor));
      let bg = [255, 255, 255, 1];
      for (const c of chain.reverse()) if (c[3] > 0) bg = over(c, bg);
      return bg;
    };
    const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const bad = [];
    for (const el of document.querySelectorAll("body *:not(svg):not(svg *):not(script):not(style)")) {
      const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join("");
      const st = getComputedStyle(el);
      if (!text || st.visibility === "hidden" || st.display === "none" || el.getClientRects().length === 0) continue;
      const fg = over(rgba(st.color), background(el));
      const bg = background(el);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      const size = parseFloat(st.fontSize);
      const large = size >= 24 || (size >= 18.66 && +st.fontWeight >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(`${ratio.toFixed(2)}:1 "${text.slice(0, 40)}"`);
    }
    return bad;
  });
}

