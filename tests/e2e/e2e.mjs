// Browser end-to-end test of `dosewise serve` in Debian's Chromium, driven by playwright-core.
// Usage: DOSEWISE_URL=http://127.0.0.1:PORT/ DOSEWISE_KEY=… node e2e.mjs [--screenshots DIR]
// Run by crates/cli/tests/web.rs against a server on a demo journal; exits non-zero on failure.
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, lowContrast, squeezed, stepper, unlabelled } from "./checks.mjs";

const base = process.env.DOSEWISE_URL;
assert.ok(base, "set DOSEWISE_URL");
// The server's access key (web-key in the home): a first visit with it begins a session.
const key = process.env.DOSEWISE_KEY;
assert.ok(key, "set DOSEWISE_KEY");
const shotsAt = process.argv.indexOf("--screenshots");
const shots = shotsAt > 0 ? process.argv[shotsAt + 1] : null;
const browser = await launch();
const { step, failed } = stepper();

const phone = await browser.newContext({ viewport: { width: 360, height: 780 }, acceptDownloads: true });
const page = await phone.newPage();
const nav = (name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
// Script exceptions and content-policy violations (a refused dose's 422 status is expected).
page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });

await step("without the key nothing opens; the key opens today, and leaves the address", async () => {
  const r = await page.goto(base);
  assert.equal(r.status(), 401);
  assert.match(await page.textContent("main"), /web-key/);
  await page.goto(base + "?key=" + key);
  assert.equal(new URL(page.url()).search, "", "the key is not left in the address bar");
});

await step("today opens, with the plan and the navigation", async () => {
  await page.goto(base);
  await page.getByRole("heading", { level: 1, name: /Today/ }).waitFor();
  assert.match(await page.textContent("main"), /One day on, two off/);
  // On a phone the main tabs sit in a bar at the bottom, in thumb reach; History and the
  // Report are under More there.
  for (const name of ["Today", "Log dose", "Check in", "Insights", "More"]) {
    assert.ok(await nav(name).isVisible(), `${name} tab visible at 360 px`);
    const box = await nav(name).boundingBox();
    assert.ok(box.y > 780 - 90 && box.height >= 44, `${name} is in the bottom bar, ${box.height} px tall`);
  }
  for (const name of ["History", "Report"]) assert.ok(!(await nav(name).isVisible()), `${name} is under More on a phone`);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, "no sideways scrolling");
});

await step("the dose form converts as you type (the script asks the server for a dry run)", async () => {
  await nav("Log dose").click();
  await page.getByLabel("Amount").fill("1/2 troche");
  await page.locator("#conv-live").filter({ hasText: "12.5 mg HCl" }).waitFor({ timeout: 5000 });
  assert.match(await page.textContent("#conv-live"), /Safety check/);
});

await step("a refused dose reads 'Not saved'; a reason that says nothing logs nothing; the clinician's agreement, confirmed, logs it", async () => {
  await page.getByLabel("Amount").fill("2 troches");
  await page.getByRole("button", { name: "Log dose" }).click();
  await page.getByRole("heading", { name: "Not saved", exact: true }).waitFor();
  assert.match(await page.textContent(".verdict"), /limit/i);
  assert.doesNotMatch(await page.textContent("main"), /override/i, "no finding suggests overriding");
  await page.getByText("My clinician agreed to this dose", { exact: true }).click();
  await page.getByLabel("Who agreed it, and when").fill("ok");
  await page.getByLabel(/I confirm my clinician agreed/).check();
  // The browser's own check stops a reason shorter than the minimum; the server's is the rule.
  await page.getByLabel("Who agreed it, and when").evaluate((e) => e.removeAttribute("minlength"));
  await page.getByRole("button", { name: "Log it with this reason" }).click();
  await page.getByText(/at least 2 words/).waitFor();
  // The page comes back with the step open and what was typed kept.
  assert.equal(await page.getByLabel("Who agreed it, and when").inputValue(), "ok");
  await page.getByLabel("Who agreed it, and when").fill("higher dose agreed with Dr K today");
  await page.getByLabel(/I confirm my clinician agreed/).check();
  await page.getByRole("button", { name: "Log it with this reason" }).click();
  await page.getByText("Logged despite a refusal").waitFor();
  assert.match(await page.textContent("main"), /higher dose agreed with Dr K today/);
  assert.match(await page.textContent("main"), /50 mg HCl/);
  assert.equal(await page.locator("p.ok").count(), 0, "an override is not confirmed as a plain success");
  await page.locator("p.notice").waitFor();
});

await step("a refused dose already taken is recorded, with calm advice for now, and Today shows it first", async () => {
  await nav("Log dose").click();
  await page.getByLabel("Amount").fill("2 troches");
  await page.getByRole("button", { name: "Log dose" }).click();
  await page.getByRole("heading", { name: "Already taken?" }).waitFor();
  if (shots) await page.screenshot({ path: join(shots, "dose-not-saved-phone.png"), fullPage: true });
  await page.getByRole("button", { name: /Yes, I have taken it/ }).click();
  await page.getByText("Recorded as taken").waitFor();
  await page.getByRole("heading", { name: "For the next few hours" }).waitFor();
  assert.match(await page.textContent("main"), /Do not drive/);
  if (shots) await page.screenshot({ path: join(shots, "dose-taken-phone.png"), fullPage: true });
  await nav("Today").click();
  const attention = page.getByRole("heading", { name: "Needs attention" });
  await attention.waitFor();
  const [a, d] = [await attention.boundingBox(), await page.getByRole("heading", { name: "Doses" }).boundingBox()];
  assert.ok(a.y < d.y, "the attention card is above the doses");
  if (shots) await page.screenshot({ path: join(shots, "today-attention-phone.png"), fullPage: true });
});

await step("a check-in with big tap targets, a side effect and a note", async () => {
  await nav("Check in").click();
  await page.getByLabel("mood 7", { exact: true }).check({ force: true });
  await page.getByLabel("anxiety 3", { exact: true }).check({ force: true });
  // A side effect's 0-10 chips appear once it is ticked; the rest of the form waits under "More".
  assert.ok(!(await page.getByLabel("nausea 4", { exact: true }).isVisible()), "no chips before the tick");
  assert.ok(!(await page.getByText("Needing to pass urine more often than usual").isVisible()), "urinary symptoms are under More");
  await page.getByLabel("nausea", { exact: true }).check();
  await page.locator("label", { has: page.getByLabel("nausea 4", { exact: true }) }).click();
  assert.equal(await page.inputValue("input[name=se-nausea]:checked"), "4");
  await page.getByLabel("Note (optional)").fill("Calmer <b>evening</b> after the walk");
  await page.getByRole("button", { name: "Save check-in" }).click();
  await page.getByText("Saved.").waitFor();
  assert.match(await page.textContent("main"), /mood 7, anxiety 3/);
  assert.match(await page.textContent("main"), /nausea 4/);
  assert.match(await page.textContent("main"), /Calmer <b>evening<\/b> after the walk/, "the note is shown as text");
});

await step("both appear in history", async () => {
  await page.goto(base + "history");
  const main = await page.textContent("main");
  assert.match(main, /overridden/);
  assert.match(main, /50 mg HCl/);
  assert.match(main, /Calmer <b>evening<\/b> after the walk/);
});

await step("and in insights, with the charts", async () => {
  await nav("Insights").click();
  await page.getByRole("heading", { name: "Dose–response" }).waitFor();
  assert.ok((await page.locator("main svg").count()) >= 1, "a chart is drawn");
  assert.match(await page.textContent("main"), /cannot separate the drug from expectation/);
  const svg = await page.locator("main svg:not(.icon)").first().innerHTML();
  assert.match(svg, /stroke-dasharray="3 3"/, "protocol changes are marked");
  // On a 390 px phone: plain sentences first, the numbers folded away, nothing wider than the
  // screen (the factor and rating tables stack their cells), even with the numbers open.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.match(await page.textContent("main"), /on dose days, (no clear difference|higher, by about|lower, by about|too few days)/);
  const wide = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await wide(), 0, "insights scroll sideways at 390 px");
  // The charts are drawn for the phone's width: their smallest text, as rendered (font size
  // times the chart's scale), stays legible instead of a wide chart's scaled-down 6 px.
  const chartText = await page.evaluate(() => {
    const sizes = [];
    for (const svg of document.querySelectorAll("main svg:not(.icon)")) {
      const box = svg.getBoundingClientRect();
      if (box.width === 0) continue; // the other width's copy, not shown
      const scale = box.width / svg.viewBox.baseVal.width;
      for (const t of svg.querySelectorAll("text")) sizes.push(parseFloat(getComputedStyle(t).fontSize) * scale);
    }
    return { charts: sizes.length ? document.querySelectorAll("main .chart-narrow svg").length : 0, smallest: Math.min(...sizes) };
  });
  assert.ok(chartText.charts >= 1, "a chart is shown at 390 px");
  assert.ok(chartText.smallest >= 9.5, `chart text renders at ${chartText.smallest.toFixed(1)} px at 390 px`);
  console.log(`# the smallest chart text renders at ${chartText.smallest.toFixed(1)} px at 390 px`);
  for (const d of await page.locator("details.numbers").all()) await d.locator("summary").click();
  assert.equal(await wide(), 0, "the numbers, opened, scroll sideways at 390 px");
  await page.setViewportSize({ width: 360, height: 780 });
});

await step("the report downloads as a PDF", async () => {
  await page.goto(base + "report");
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 60000 }),
    page.getByRole("button", { name: "Download PDF" }).click(),
  ]);
  const path = await download.path();
  const bytes = readFileSync(path);
  assert.equal(bytes.subarray(0, 4).toString(), "%PDF");
  assert.ok(bytes.length > 10000, `PDF of ${bytes.length} bytes`);
  assert.match(download.suggestedFilename(), /^dosewise-report-.*\.pdf$/);
});

await step("the report view offers the browser's own print, which never shows on paper", async () => {
  await page.goto(base + "report/view");
  const button = page.getByRole("button", { name: "Print or save as PDF" });
  await button.waitFor();
  // Count calls to print instead of opening the dialog, and see the button hide for print.
  await page.evaluate(() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; });
  await button.click();
  assert.equal(await page.evaluate(() => window.__printed), 1);
  await page.evaluate(() => window.dispatchEvent(new Event("beforeprint")));
  assert.equal(await button.isVisible(), false, "hidden while printing");
  await page.evaluate(() => window.dispatchEvent(new Event("afterprint")));
  assert.equal(await button.isVisible(), true);
});

await step("every control has a label, and every text field room to type, on every page", async () => {
  for (const p of ["", "dose", "checkin", "history", "insights", "report", "more", "vitals", "meds", "assess/phq9", "import", "stock", "protocol", "screen", "doses/1", "review", "calc", "info", "stock/1", "checkins/1", "checkins/1/edit", "share"]) {
    await page.goto(base + p);
    assert.deepEqual(await unlabelled(page), [], `/${p}`);
    assert.deepEqual(await squeezed(page), [], `/${p}`);
  }
});

await step("text contrast is at least WCAG AA on every page, in the light and the dark scheme", async () => {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const p of ["", "dose", "checkin", "history", "insights", "report", "more", "vitals", "meds", "assess", "protocol", "stock", "screen", "doses/1", "review", "import", "calc", "info", "stock/1", "checkins/1", "checkins/1/edit", "share"]) {
      await page.goto(base + p);
      assert.deepEqual(await lowContrast(page), [], `/${p} (${scheme})`);
    }
    // The dark scheme is in force: the page's background is dark, its text light.
    await page.goto(base);
    const [bg, fg] = await page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]);
    assert.equal(bg === "rgb(21, 21, 21)", scheme === "dark", `${scheme}: body background ${bg}`);
    assert.equal(fg === "rgb(236, 236, 236)", scheme === "dark", `${scheme}: body text ${fg}`);
    if (shots && scheme === "dark") {
      for (const [name, path] of [["today", ""], ["checkin", "checkin"], ["insights", "insights"]]) {
        await page.goto(base + path);
        await page.screenshot({ path: join(shots, `${name}-phone-dark.png`) });
      }
    }
    // And on a refusal, with its coloured findings.
    await page.goto(base + "dose");
    await page.getByLabel("Amount").fill("2 troches");
    await page.getByRole("button", { name: "Log dose" }).click();
    await page.getByRole("heading", { name: "Not saved", exact: true }).waitFor();
    assert.deepEqual(await lowContrast(page), [], `refused dose (${scheme})`);
    if (shots && scheme === "dark") await page.screenshot({ path: join(shots, "dose-refused-phone-dark.png"), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
});

await step("the health screen: tick a condition, save, and a dose already taken is recorded with its findings", async () => {
  await page.goto(base + "screen");
  await page.getByLabel(/Are you pregnant/).check();
  await page.getByLabel("Your crisis line (optional)").fill("Samaritans 116 123");
  await page.getByRole("button", { name: "Save my answers" }).click();
  await page.getByText("Saved.").waitFor();
  assert.ok(await page.getByLabel(/Are you pregnant/).isChecked());
  await page.goto(base + "dose");
  await page.getByLabel("Amount").fill("2 troches");
  await page.getByLabel("Two hours ago").check();
  await page.getByRole("button", { name: "Log dose" }).click();
  // Its findings are shown before saving; one tap saves it with them.
  await page.getByRole("heading", { name: "Not saved yet" }).waitFor();
  await page.getByRole("button", { name: "Save this dose" }).click();
  await page.getByText("Recorded after the fact").waitFor();
  assert.match(await page.textContent("main"), /screen:pregnancy|pregnant/);
  assert.deepEqual(await lowContrast(page), [], "recorded after the fact");
});

await step("a stock is added from the stock page, without the terminal", async () => {
  await page.goto(base + "stock");
  await page.getByLabel("Name (how you will refer to it, e.g. Troche 25)").fill("Lozenge 50");
  await page.getByLabel("Form", { exact: true }).selectOption("troche");
  await page.getByLabel("Strength of one (e.g. 25 mg)").fill("50 mg");
  await page.getByLabel("How many you hold (halves and quarters allowed)").fill("12");
  await page.getByRole("button", { name: "Add stock" }).click();
  await page.getByText("Added Lozenge 50: 12 troches on hand.").waitFor();
  assert.deepEqual(await unlabelled(page), [], "/stock after adding");
  assert.deepEqual(await lowContrast(page), [], "/stock after adding");
});

await step("the check-in form works from the keyboard alone", async () => {
  await page.goto(base + "checkin");
  await page.keyboard.press("Tab"); // skip link
  await page.keyboard.press("Tab"); // first nav link
  // Move focus to the first rating and choose with the arrow keys.
  await page.focus("input[name=mood][value='0']");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.inputValue("input[name=mood]:checked"), "2");
  await page.focus("button[type=submit]");
  await page.keyboard.press("Enter");
  await page.getByText("Saved.").waitFor();
  assert.match(await page.textContent("main"), /mood 2/);
});

await step("a check-in is corrected and another deleted from their pages, the earlier version listed", async () => {
  await page.goto(base + "checkins/1");
  await page.getByRole("link", { name: "Correct this check-in" }).click();
  await page.getByRole("heading", { name: "Correct this check-in" }).waitFor();
  await page.getByLabel("mood 2", { exact: true }).check({ force: true });
  await page.getByLabel("Why it changed (optional, kept with the earlier version)").fill("tapped the wrong number");
  await page.getByRole("button", { name: "Save the correction" }).click();
  await page.getByText("Corrected; the earlier version is kept below.").waitFor();
  const main = await page.textContent("main");
  assert.match(main, /mood 2/);
  assert.match(main, /Earlier versions/);
  assert.match(main, /tapped the wrong number/);
  assert.deepEqual(await lowContrast(page), [], "corrected check-in");
  await page.goto(base + "checkins/2");
  await page.getByRole("button", { name: "Delete check-in" }).click();
  await page.getByText("tick the box").waitFor();
  await page.getByLabel("This check-in was a mistake").check();
  await page.getByRole("button", { name: "Delete check-in" }).click();
  await page.getByText("Deleted; it stays in the record, marked.").waitFor();
  assert.equal(await page.getByRole("link", { name: "Correct this check-in" }).count(), 0);
});

await step("a PsychonautWiki Journal export is shown first, then imported with one more tap", async () => {
  await page.goto(base + "import");
  await page.getByLabel(/Export, backup, PsychonautWiki Journal file or spreadsheet/).setInputFiles("../fixtures/pw-journal/android.json");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await page.getByRole("heading", { name: "From PsychonautWiki Journal: nothing saved yet" }).waitFor();
  assert.match(await page.textContent("main"), /Would add 2 doses/);
  assert.deepEqual(await lowContrast(page), [], "the preview");
  assert.deepEqual(await unlabelled(page), [], "the preview");
  if (shots) await page.screenshot({ path: join(shots, "import-pw-journal-preview-phone.png"), fullPage: true });
  await page.getByRole("button", { name: "Import these records" }).click();
  await page.getByRole("heading", { name: "From PsychonautWiki Journal: imported" }).waitFor();
  assert.match(await page.textContent("main"), /Added 2 doses, 1 use of other substances and 3 check-ins/);
  await page.goto(base + "history?from=2026-11-01&to=2026-11-01");
  assert.match(await page.textContent("main"), /From PsychonautWiki Journal/);
});

await step("a spreadsheet: its columns mapped, its rows shown, then imported", async () => {
  await page.goto(base + "import");
  await page.getByLabel(/Export, backup, PsychonautWiki Journal file or spreadsheet/).setInputFiles("../fixtures/spreadsheet/doses.csv");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await page.getByRole("heading", { name: "Import a spreadsheet" }).waitFor();
  // The header names' guess is chosen; the bare numbers need their unit.
  assert.equal(await page.getByLabel(/^amount:/).inputValue(), "Dose");
  assert.equal(await page.getByLabel(/^mood:/).inputValue(), "Mood");
  assert.deepEqual(await unlabelled(page), [], "the mapping form");
  assert.deepEqual(await lowContrast(page), [], "the mapping form");
  await page.getByRole("button", { name: "Show the rows" }).click();
  await page.getByText(/has no unit/).first().waitFor();
  await page.getByLabel("Unit of amounts written as a bare number").selectOption("mg");
  await page.getByRole("button", { name: "Show the rows" }).click();
  await page.getByRole("heading", { name: "Nothing saved yet" }).waitFor();
  assert.match(await page.textContent("main"), /Would add 2 doses and 3 check-ins \(tagged spreadsheet\)/);
  if (shots) await page.screenshot({ path: join(shots, "import-spreadsheet-preview-phone.png"), fullPage: true });
  await page.getByRole("button", { name: "Import these records" }).click();
  await page.getByText(/Added 2 doses and 3 check-ins/).waitFor();
});

await step("the safety states at 390 px and 1280 px, light and dark: nothing wider than the screen, AA contrast, every control labelled", async () => {
  // A PHQ-9 with item 9 above 0 brings the support card (the result, and Today for days).
  await page.goto(base + "assess/phq9");
  // (Set directly: a click near the bottom of a phone's screen lands on the tab bar.)
  await page.evaluate(() => { for (let k = 0; k < 9; k++) document.querySelector(`input[name=q${k}][value='${k === 8 ? 1 : 0}']`).checked = true; });
  await page.getByRole("button", { name: "Score and save" }).click();
  await page.getByRole("heading", { name: "Talk to someone today" }).waitFor();
  await page.goto(base + "history");
  const dose = await page.locator("main a[href^='/doses/']").first().getAttribute("href");
  const states = [
    ["Today: attention and support cards", "", async () => {
      await page.getByRole("heading", { name: "Needs attention" }).waitFor();
      await page.getByRole("heading", { name: "Talk to someone today" }).waitFor();
    }],
    ["a refused dose, not saved", "dose", async () => {
      await page.getByLabel("Amount").fill("2 troches");
      await page.getByRole("button", { name: "Log dose" }).click();
      await page.getByRole("heading", { name: "Not saved", exact: true }).waitFor();
      await page.getByText("Already taken?").first().waitFor();
    }],
    ["a dose just saved, with Undo and the correction form", dose.slice(1), async () => {
      await page.getByRole("button", { name: "Undo" }).waitFor();
      await page.getByRole("heading", { name: "Correct this dose" }).waitFor();
    }],
    ["insights", "insights", async () => { await page.getByRole("heading", { name: "Dose–response" }).waitFor(); }],
    ["the check-in", "checkin", async () => { await page.getByRole("button", { name: "Save check-in" }).waitFor(); }],
  ];
  const wide = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  for (const [width, height] of [[390, 844], [1280, 900]]) {
    await page.setViewportSize({ width, height });
    for (const scheme of ["light", "dark"]) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, path, ready] of states) {
        await page.goto(base + path);
        await ready();
        const where = `${name} at ${width} px (${scheme})`;
        assert.equal(await wide(), 0, `${where} scrolls sideways`);
        assert.deepEqual(await lowContrast(page), [], where);
        assert.deepEqual(await unlabelled(page), [], where);
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 360, height: 780 });
});

await step("no script errors and nothing blocked by the content policy", async () => {
  assert.deepEqual(errors, []);
});

if (shots) {
  mkdirSync(shots, { recursive: true });
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const d = await desktop.newPage();
  await d.goto(base + "?key=" + key);
  for (const [name, path] of [["today", ""], ["dose", "dose"], ["checkin", "checkin"], ["history", "history"], ["insights", "insights"]]) {
    await page.goto(base + path);
    await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: name !== "checkin" && name !== "insights" });
    await d.goto(base + path);
    await d.screenshot({ path: join(shots, `${name}-desktop.png`) });
  }
  // The charts as a phone draws them (390 px), light and dark.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(base + "insights");
    await page.locator("main figure").first().evaluate((f) => f.scrollIntoView());
    await page.screenshot({ path: join(shots, `insights-chart-phone${scheme === "dark" ? "-dark" : ""}.png`) });
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto(base + "dose");
  await page.getByLabel("Amount").fill("2 troches");
  await page.getByRole("button", { name: "Log dose" }).click();
  await page.getByRole("heading", { name: "Not saved", exact: true }).waitFor();
  await page.screenshot({ path: join(shots, "dose-refused-phone.png"), fullPage: true });
  await page.goto(base + "screen");
  await page.screenshot({ path: join(shots, "screen-phone.png"), fullPage: false });
  await page.goto(base + "stock#add");
  await page.screenshot({ path: join(shots, "stock-add-phone.png"), fullPage: false });
  await page.goto(base + "calc?kind=solution&mass=500mg&volume=10mL&dose=12.5mg#solution");
  await page.screenshot({ path: join(shots, "calc-phone.png"), fullPage: false });
  await page.goto(base + "import");
  await page.screenshot({ path: join(shots, "import-backup-phone.png"), fullPage: true });
  await page.goto(base + "checkins/1");
  await page.screenshot({ path: join(shots, "checkin-corrected-phone.png"), fullPage: true });
  await d.goto(base + "report/view");
  await d.screenshot({ path: join(shots, "report-view-desktop.png") });
  await desktop.close();
  console.log(`screenshots in ${shots}`);
}

await browser.close();
process.exit(failed() ? 1 : 0);
