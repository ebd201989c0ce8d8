// Browser test of the clinic server's pages in Debian's Chromium, driven by playwright-core.
// Usage: CLINIC_URL=http://127.0.0.1:PORT CLINIC_NOW=2026-11-28T11:00:00Z \
//   DR_EMAIL=… DR_CODE=123456 NEW_EMAIL=… PASSWORD=… PATIENT=Name node clinic.mjs [--screenshots DIR]
// Run by crates/cli/tests/clinic.rs against a server with a clinic, a clinician whose patient
// has synced an urgent PHQ-9, and a new clinician without a second factor; exits non-zero on
// failure.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, lowContrast, stepper, unlabelled } from "./checks.mjs";

const env = (k) => { const v = process.env[k]; assert.ok(v, `set ${k}`); return v; };
const base = env("CLINIC_URL");
const now = Date.parse(env("CLINIC_NOW"));
const password = env("PASSWORD");
const patient = env("PATIENT");
const shotsAt = process.argv.indexOf("--screenshots");
const shots = shotsAt > 0 ? process.argv[shotsAt + 1] : null;
if (shots) mkdirSync(shots, { recursive: true });

// RFC 6238 with the server's (fixed) clock: what an authenticator app would show.
function totp(secret) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / 30)));
  const h = createHmac("sha1", key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, "0");
}

const browser = await launch();
const phone = await browser.newContext({ viewport: { width: 360, height: 780 } });
const page = await phone.newPage();
// A failing step also says where the page was and what it showed.
const { step, failed } = stepper(() =>
  page.evaluate(() => `${location.pathname}: ${document.querySelector("main")?.innerText.slice(0, 600)}`),
);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
// Script exceptions and content-policy violations (refused forms answer 400 on purpose).
page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) errors.push(m.text()); });

// Every page: labelled controls, readable contrast (light and dark), nothing wider than the phone.
async function accessible(what) {
  assert.deepEqual(await unlabelled(page), [], `${what}: unlabelled controls`);
  assert.deepEqual(await lowContrast(page), [], `${what}: low contrast`);
  // The same page in the dark scheme (the stylesheet is the local app's).
  await page.emulateMedia({ colorScheme: "dark" });
  assert.deepEqual(await lowContrast(page), [], `${what}: low contrast in the dark scheme`);
  await page.emulateMedia({ colorScheme: "light" });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 360, `${what}: ${wide} px wide at 360 px`);
}

async function signIn(email, code, pw = password) {
  await page.goto(base + "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(pw);
  if (code) await page.getByLabel("Code from your authenticator app").fill(code);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut() {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: /sign in/ }).waitFor();
}

await step("without a session every page leads to the sign-in form", async () => {
  for (const path of ["/", "/triage", "/patients/1", "/accounts"]) {
    await page.goto(base + path);
    assert.equal(new URL(page.url()).pathname, "/login", path);
  }
  await accessible("sign-in");
  if (shots) await page.screenshot({ path: join(shots, "clinic-login.png"), fullPage: true });
});

await step("a wrong password is refused on the form, with the email kept", async () => {
  await signIn(env("DR_EMAIL"), undefined, "not the password at all");
  await page.getByRole("alert").filter({ hasText: "wrong email or password" }).waitFor();
  assert.equal(await page.getByLabel("Email").inputValue(), env("DR_EMAIL"));
});

await step("a new clinician sets up the second factor before seeing anything", async () => {
  await signIn(env("NEW_EMAIL"));
  await page.getByRole("heading", { name: "Set up your second factor" }).waitFor();
  await page.goto(base + "/triage");
  assert.equal(new URL(page.url()).pathname, "/second-factor", "nothing else opens yet");
  await page.getByRole("button", { name: "Show a new secret" }).click();
  assert.ok(await page.getByRole("img", { name: /QR code/ }).isVisible(), "a QR code to scan");
  const secret = (await page.locator("main code").first().textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.getByLabel("Code from the app").fill(totp(secret) === "000000" ? "111111" : "000000");
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("alert").filter({ hasText: "does not match" }).waitFor();
  await accessible("second factor");
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.getByRole("heading", { name: "Caseload" }).waitFor();
  assert.match(await page.textContent("main"), /No patient shares with you yet/);
  await signOut();
});

await step("the clinician signs in with a code and sees the caseload", async () => {
  await signIn(env("DR_EMAIL"), env("DR_CODE"));
  await page.getByRole("heading", { name: "Caseload" }).waitFor();
  const row = page.getByRole("row").filter({ hasText: patient });
  await row.waitFor();
  assert.match(await row.textContent(), /1 urgent/);
  assert.match(await row.textContent(), /PHQ-9 \d+/);
  await accessible("caseload");
  if (shots) await page.screenshot({ path: join(shots, "clinic-caseload.png"), fullPage: true });
});

await step("the caseload sorts and finds by name, on a phone by the form", async () => {
  await page.getByLabel("Sort by").selectOption("name");
  await page.getByRole("button", { name: "Show" }).click();
  assert.equal(new URL(page.url()).searchParams.get("sort"), "name");
  assert.equal(await page.getByLabel("Sort by").inputValue(), "name");
  assert.equal(await page.locator("th[aria-sort]").getAttribute("aria-sort"), "ascending");
  // Part of the name, in another case, finds the patient; a name nobody has finds no one.
  const part = patient.slice(1, 4).toUpperCase();
  await page.getByLabel("Find a patient").fill(part);
  await page.getByRole("button", { name: "Show" }).click();
  assert.equal(new URL(page.url()).searchParams.get("q"), part);
  await page.getByRole("row").filter({ hasText: patient }).waitFor();
  assert.equal(await page.getByLabel("Sort by").inputValue(), "name", "the order is kept");
  await page.getByLabel("Find a patient").fill("nobody-has-this-name");
  await page.getByRole("button", { name: "Show" }).click();
  await page.getByText("No patient sharing with you has a name like that.").waitFor();
  await page.getByRole("link", { name: "Show everyone" }).click();
  await page.getByRole("row").filter({ hasText: patient }).waitFor();
});

await step("an urgent item waits in triage until acknowledged", async () => {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Triage" }).click();
  await page.getByRole("heading", { name: "Triage" }).waitFor();
  const item = page.locator("li.finding").filter({ hasText: "PHQ-9 item 9" });
  assert.match(await item.textContent(), /Urgent/);
  assert.match(await item.textContent(), /waiting/);
  await accessible("triage");
  if (shots) await page.screenshot({ path: join(shots, "clinic-triage.png"), fullPage: true });
  await item.getByRole("button", { name: /Acknowledge/ }).click();
  await page.getByRole("heading", { name: "Triage" }).waitFor();
  assert.equal(await page.locator("li.finding").filter({ hasText: "PHQ-9 item 9" }).count(), 0);
});

await step("the patient view: prescription, insights with charts, a timeline", async () => {
  await page.goto(base + "/");
  await page.getByRole("link", { name: patient }).click();
  await page.getByRole("heading", { level: 1, name: patient }).waitFor();
  const main = await page.textContent("main");
  assert.match(main, /Insights/);
  assert.match(main, /Timeline/);
  assert.ok((await page.locator("main figure svg").count()) >= 1, "charts drawn");
  await accessible("patient");
  if (shots) await page.screenshot({ path: join(shots, "clinic-patient.png"), fullPage: true });
});

await step("the report opens under its own content policy, for any period", async () => {
  await page.getByRole("link", { name: /Report/ }).click();
  await page.getByText(/Clinician report|report/i).first().waitFor();
  await page.goBack();
  await page.getByText("The report for another period").click();
  await page.locator("#report-from").fill("2026-11-01");
  await page.locator("#report-to").fill("2026-11-14");
  await page.getByRole("button", { name: "Open the report" }).click();
  assert.match(new URL(page.url()).search, /from=2026-11-01&to=2026-11-14/);
  assert.match(await page.textContent("body"), /2026-11-01/);
  await page.goBack();
});

await step("the prescription editor refuses nonsense and saves a limit", async () => {
  await page.getByRole("link", { name: "Prescription", exact: true }).click();
  await page.getByLabel("Most in one dose").fill("ten milligrams");
  await page.getByRole("button", { name: "Save the prescription" }).click();
  await page.getByRole("alert").waitFor();
  assert.match(await page.textContent("[role=alert]"), /maximum dose/);
  assert.equal(await page.getByLabel("Most in one dose").inputValue(), "ten milligrams", "what was typed is kept");
  await page.getByLabel("Most in one dose").fill("10mg");
  await page.getByLabel("Most in 7 days").fill("60mg");
  await page.getByRole("button", { name: "Save the prescription" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  assert.equal(await page.getByLabel("Most in one dose").inputValue(), "10mg");
  await accessible("prescription");
});

await step("a note to the patient, shown as text", async () => {
  await page.getByRole("link", { name: /Back to/ }).click();
  await page.getByLabel("A note for the patient").fill("New limit: <b>10 mg</b> a dose until we talk on Friday.");
  await page.getByRole("button", { name: "Send the note" }).click();
  await page.getByRole("status").filter({ hasText: "Sent" }).waitFor();
  assert.match(await page.textContent("main"), /New limit: <b>10 mg<\/b> a dose/);
  await accessible("notes");
});

await step("no script errors or content-policy violations", async () => {
  assert.deepEqual(errors, []);
});

await browser.close();
process.exit(failed() ? 1 : 0);
