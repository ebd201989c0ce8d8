// The blinded trial in a real browser, one phase a run (the test restarts the server at each
// phase's date, since the server's clock is the day's):
// - plan: the Trial page explains what it takes; the plan form; the fill list and the key are
//   downloaded once (saved to TRIAL_DIR); the labels page shows every code and nothing of the
//   contents;
// - day: the day's container logged from the Trial page, then the check-in with a mood (MOOD)
//   and a guess (GUESS); with UNBLIND=YYYY-MM-DD, that day opened in an emergency with the key;
// - result: the order revealed with the key, and the result page: the reading, the figures, the
//   plot of the outcome by day and the guesses.
// Every page passes the checks (labels, contrast in both schemes, no sideways scrolling at 390 px).
// Usage: DOSEWISE_URL=… DOSEWISE_KEY=… TRIAL_PHASE=plan|day|result TRIAL_DIR=… node trial.mjs [--screenshots DIR]
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launch, lowContrast, squeezed, stepper, unlabelled } from "./checks.mjs";

const base = process.env.DOSEWISE_URL;
const key = process.env.DOSEWISE_KEY;
const phase = process.env.TRIAL_PHASE;
const dir = process.env.TRIAL_DIR;
assert.ok(base && key && phase && dir, "set DOSEWISE_URL, DOSEWISE_KEY, TRIAL_PHASE and TRIAL_DIR");
const shotsAt = process.argv.indexOf("--screenshots");
const shots = shotsAt > 0 ? process.argv[shotsAt + 1] : null;
const browser = await launch();
const { step, failed } = stepper();
const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
const page = await ctx.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));

const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** The checks every page passes, in both schemes; a screenshot when asked. */
async function checked(name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    assert.deepEqual(await lowContrast(page), [], `${name} (${scheme})`);
    assert.equal(await overflow(), 0, `${name} scrolls sideways at 390 px`);
    if (shots) await page.screenshot({ path: join(shots, `${name}-phone${scheme === "dark" ? "-dark" : ""}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
  assert.deepEqual(await unlabelled(page), [], name);
  assert.deepEqual(await squeezed(page), [], name);
  assert.doesNotMatch(await page.textContent("main"), /dosewise |--\w/, `${name} shows terminal syntax`);
}

/** The key, as the key holder keeps it. */
const secret = () => readFileSync(join(dir, "trial-key.txt"), "utf8").split("\n").find((l) => l.startsWith("AGE-SECRET-KEY-1"));

await page.goto(base + "?key=" + key);

if (phase === "plan") {
  await step("the Trial page says what a blinded trial takes, and offers the plan", async () => {
    await page.goto(base + "trial");
    await page.getByRole("heading", { name: "Is it the drug? A blinded trial" }).waitFor();
    await page.getByText(/prescriber's pharmacy/).waitFor();
    await checked("trial-plan");
  });

  await step("a plan without the smallest change that matters is not made", async () => {
    await page.getByLabel("First day").fill("2026-12-01");
    await page.getByLabel("The smallest improvement that would matter to you").fill("");
    // The browser's own check stops an empty required field; the server's check stands behind it.
    await page.getByLabel("The smallest improvement that would matter to you").evaluate((e) => e.removeAttribute("required"));
    await page.getByRole("button", { name: "Plan the trial" }).click();
    await page.getByText(/say the smallest improvement/).waitFor();
  });

  await step("planned: the fill list and the key are downloaded once; nothing shows the contents", async () => {
    await page.getByLabel("First day").fill("2026-12-01");
    await page.getByLabel("Length in weeks").fill("8");
    await page.getByLabel("The smallest improvement that would matter to you").fill("1");
    await page.getByLabel("The dose every dosing day").fill("1/2 troche");
    await page.getByLabel("Who holds the key").fill("Dr Lee");
    await page.getByRole("button", { name: "Plan the trial" }).click();
    await page.getByRole("heading", { name: "Trial planned" }).waitFor();
    assert.doesNotMatch(await page.textContent("main"), /placebo|active/i, "the planned page shows no contents");
    for (const [name, file] of [["Download the fill list for your helper", "trial-fill-list.html"], ["Download the key", "trial-key.txt"]]) {
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()]);
      await download.saveAs(join(dir, file));
    }
    const fill = readFileSync(join(dir, "trial-fill-list.html"), "utf8");
    assert.equal((fill.match(/<td class="code">/g) || []).length, 18, "9 blocks of one active and one placebo day");
    assert.ok(secret(), "the key file holds the key");
    await checked("trial-planned");
  });

  await step("the labels: every code and its day, nothing of the contents", async () => {
    const fill = readFileSync(join(dir, "trial-fill-list.html"), "utf8");
    const codes = [...fill.matchAll(/<td class="code">([^<]+)<\/td>/g)].map((m) => m[1]);
    const labels = await ctx.newPage();
    await labels.goto(base + "trial/labels");
    const text = await labels.textContent("body");
    for (const c of codes) assert.ok(text.includes(c), `${c} on the labels`);
    assert.doesNotMatch(text, /placebo|active/i);
    await labels.getByRole("button", { name: "Print or save as PDF" }).waitFor();
    await labels.close();
  });
}

if (phase === "day") {
  await step(`the day's container is logged from the Trial page (${process.env.DAY})`, async () => {
    await page.goto(base + "trial");
    const code = (await page.locator("#today-h .code").textContent()).trim();
    await page.getByRole("button", { name: "Log today's container now" }).click();
    // Warnings are shown before saving: one tap saves with them.
    const save = page.getByRole("button", { name: "Save this dose" });
    if (await save.isVisible().catch(() => false)) await save.click();
    await page.waitForURL(/\/doses\/\d+/);
    await page.goto(base + "trial");
    await page.getByText(`Today's container (${code}) is logged.`).waitFor();
  });

  await step("the check-in asks what you think you took, and how sure", async () => {
    await page.goto(base + "checkin");
    await page.getByRole("group", { name: "Your trial: what do you think you took today?" }).waitFor();
    await checked("trial-checkin");
    await page.getByLabel(`mood ${process.env.MOOD}`, { exact: true }).check({ force: true });
    await page.getByLabel(process.env.GUESS === "active" ? "Active" : "Placebo", { exact: true }).check();
    await page.getByLabel("How sure?").selectOption("3");
    await page.getByRole("button", { name: "Save check-in" }).click();
    await page.waitForURL(/\/checkins\/\d+/);
  });

  if (process.env.UNBLIND) {
    await step("an emergency opens that one day with the key, and says what it held", async () => {
      await page.goto(base + "trial");
      await page.getByText("Emergency: open one day").click();
      await page.getByLabel("Day", { exact: true }).selectOption({ value: process.env.UNBLIND });
      await page.getByLabel("The key (AGE-SECRET-KEY-1…)").fill(secret());
      await page.getByLabel("Why").first().fill("felt faint, my GP asked");
      await page.getByRole("button", { name: "Open this day" }).click();
      const fill = readFileSync(join(dir, "trial-fill-list.html"), "utf8");
      const held = new RegExp(`${process.env.UNBLIND_CODE}</td><td>(\\w+)<`).exec(fill)[1];
      await page.getByText(`${process.env.UNBLIND} held ${held}.`).waitFor();
      await page.getByText(`Unblinded early, left out of the analysis: ${process.env.UNBLIND}.`).waitFor();
    });
  }
}

if (phase === "result") {
  await step("over: the order is opened with the key (another key opens nothing)", async () => {
    await page.goto(base + "trial");
    await page.getByRole("heading", { name: /The trial is over/ }).waitFor();
    await checked("trial-reveal");
    await page.getByLabel(/The key/).fill("AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33");
    await page.getByRole("button", { name: "Reveal and see the result" }).click();
    await page.getByText(/Not saved|not|key/i).first().waitFor();
    await page.getByLabel(/The key/).fill(secret());
    await page.getByRole("button", { name: "Reveal and see the result" }).click();
    await page.getByRole("heading", { name: /Is it the drug\? The blinded trial, 2026-12-01/ }).waitFor();
  });

  await step("the result: the reading, the figures, the outcome by day and the guesses", async () => {
    const main = await page.textContent("main");
    assert.match(main, /better on active days than on placebo days/);
    assert.match(main, /discuss it with your clinician/);
    assert.match(main, /Randomisation test/);
    assert.match(main, /1 unblinded early/);
    assert.equal(await page.locator("figure svg").count() >= 2, true, "the plots are drawn");
    await page.getByRole("img", { name: /mood by day, after unblinding/ }).first().waitFor();
    await page.getByRole("img", { name: /Guesses: \d+ right/ }).waitFor();
    await checked("trial-result");
  });
}

await step("no script errors", async () => assert.deepEqual(errors, []));
await browser.close();
process.exit(failed() ? 1 : 0);
