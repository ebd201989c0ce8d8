// The first run in a real browser, for a person who never opens a terminal: `dosewise serve` on
// a home with no journal, then the setup (about you → what you hold → the plan → the health
// screen), a first dose and a first check-in — on a 390 px phone; every setup step checked for
// labels, room to type, no sideways scrolling and AA contrast in the light and the dark scheme,
// at 390 px and at 1280 px.
// Usage: DOSEWISE_URL=… DOSEWISE_KEY=… node firstrun.mjs [--screenshots DIR]
import assert from "node:assert/strict";
import { join } from "node:path";
import { launch, lowContrast, squeezed, stepper, unlabelled } from "./checks.mjs";

const base = process.env.DOSEWISE_URL;
const key = process.env.DOSEWISE_KEY;
assert.ok(base && key, "set DOSEWISE_URL and DOSEWISE_KEY");
const shotsAt = process.argv.indexOf("--screenshots");
const shots = shotsAt > 0 ? process.argv[shotsAt + 1] : null;
const browser = await launch();
const { step, failed } = stepper();
const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } };
const ctx = await browser.newContext({ viewport: sizes.phone });
const page = await ctx.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });

/** The page's width beyond the viewport, in px (0: no sideways scrolling). */
const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** Every check a setup step must pass, at both sizes and in both schemes; screenshots of it. */
async function checked(name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [size, vp] of Object.entries(sizes)) {
      await page.setViewportSize(vp);
      assert.deepEqual(await lowContrast(page), [], `${name} (${size}, ${scheme})`);
      assert.equal(await overflow(), 0, `${name} scrolls sideways at ${vp.width} px`);
      if (shots) {
        await page.screenshot({ path: join(shots, `setup-${name}-${size}${scheme === "dark" ? "-dark" : ""}.png`), fullPage: true });
      }
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize(sizes.phone);
  assert.deepEqual(await unlabelled(page), [], name);
  assert.deepEqual(await squeezed(page), [], name);
  assert.doesNotMatch(await page.textContent("main"), /dosewise |--\w/, `${name} shows terminal syntax`);
}

await step("a new journal opens the setup, not an empty Today", async () => {
  await page.goto(base + "?key=" + key);
  await page.getByRole("heading", { name: "Set up Dosewise" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/setup");
  await page.getByRole("heading", { name: "About you" }).waitFor();
  await checked("you");
});

await step("about you: a wrong zone is explained in the step, then the profile is saved", async () => {
  await page.getByLabel("Your name (optional)").fill("Sam");
  await page.getByLabel("Time zone").fill("Mars/Olympus");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText(/Not saved/).waitFor();
  assert.equal(await page.getByLabel("Your name (optional)").inputValue(), "Sam", "what was typed is kept");
  await page.getByLabel("Time zone").fill("Europe/Berlin");
  await page.getByLabel("Body weight (optional)").fill("70 kg");
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("heading", { name: "What you hold" }).waitFor();
});

await step("what you hold: troches, their strength and count", async () => {
  await checked("stock");
  await page.getByLabel("Name (how you will refer to it, e.g. Troche 25)").fill("Troche 25");
  await page.getByLabel("Strength of one (e.g. 25 mg)").fill("25 mg");
  await page.getByLabel("How many you hold (halves and quarters allowed)").fill("10");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.getByRole("heading", { name: "Your plan" }).waitFor();
});

await step("the plan: a preset rhythm, the dose, its time and a limit", async () => {
  await checked("plan");
  await page.getByLabel("One day on, two days off").check();
  await page.getByLabel("Planned dose (e.g. 1/2 troche, 12.5 mg, 2 sprays)").fill("1/2 troche");
  await page.getByLabel("First day (default today)").fill("2026-11-28");
  await page.getByLabel("Most in one dose (e.g. 25 mg)").fill("25 mg");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await page.getByRole("heading", { name: "Health screen" }).waitFor();
});

await step("the health screen, with a crisis line; then the setup is done", async () => {
  await checked("screen");
  await page.getByLabel("Your crisis line (optional)").fill("Samaritans 116 123");
  await page.getByRole("button", { name: "Save my answers" }).click();
  await page.getByRole("heading", { name: "You're set up" }).waitFor();
  await checked("done");
});

await step("Today has the plan; the planned dose is logged in one tap, and a check-in saved", async () => {
  await page.getByRole("link", { name: "Go to Today" }).click();
  await page.getByRole("heading", { level: 1, name: /Today/ }).waitFor();
  assert.match(await page.textContent("main"), /Today is a dose day/);
  assert.doesNotMatch(await page.textContent("main"), /dosewise |--\w/, "Today shows terminal syntax");
  await page.getByRole("button", { name: "Log the planned dose now" }).click();
  await page.getByText("Logged.").waitFor();
  assert.match(await page.textContent("main"), /12\.5 mg HCl/);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Check in", exact: true }).click();
  await page.getByLabel("mood 6", { exact: true }).check({ force: true });
  await page.getByRole("button", { name: "Save check-in" }).click();
  await page.getByText("Saved.").waitFor();
  if (shots) await page.screenshot({ path: join(shots, "setup-first-checkin-phone.png"), fullPage: false });
});

await step("no script errors and nothing blocked by the content policy", async () => {
  assert.deepEqual(errors, []);
});

await browser.close();
process.exit(failed() ? 1 : 0);
