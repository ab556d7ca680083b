// Lighthouse's mobile scores (its default emulation and throttling) for a running Kith:
// /sign-in, then /contacts signed in as a new account with 50 contacts, added through the
// pages as a person would. Prints each page's four scores beside their targets and the
// figures behind the performance score. A measurement, not a test.
//
//   node scripts/lighthouse/run.mjs [BASE_URL]   (default http://127.0.0.1:3000)
//
// Chromium comes from CHROME_PATH (default /usr/bin/chromium, Debian's). With LIGHTHOUSE_JSON=PREFIX
// each page's whole report is also written to PREFIX-sign-in.json and PREFIX-contacts.json.
import { writeFileSync } from "node:fs";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import { chromium } from "playwright-core";

const base = (process.argv[2] ?? "http://127.0.0.1:3000").replace(/\/$/, "");
const chromePath = process.env.CHROME_PATH ?? "/usr/bin/chromium";
const CONTACTS = 50;
const TARGETS = { performance: 95, accessibility: 100, "best-practices": 100, seo: 90 };

/** Signs up a new account with CONTACTS contacts; returns its session cookie. */
async function accountWithContacts() {
  const browser = await chromium.launch({ executablePath: chromePath });
  try {
    const page = await browser.newPage();
    const email = `lighthouse.${Date.now().toString(36)}@example.com`;
    await page.goto(`${base}/sign-up`);
    await page.getByLabel("Email address").fill(email);
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/contacts$/);
    await page.locator("body[data-hydrated=true]").waitFor();
    const form = page.locator("section.add-contact");
    for (let i = 1; i <= CONTACTS; i++) {
      const name = `Person ${String(i).padStart(2, "0")}`;
      await form.getByLabel("Name").fill(name);
      await form.getByLabel("Description").fill(`Met at the conference, table ${i}`);
      await form.getByLabel("Contact method").fill(`person${i}@example.com`);
      await form.getByRole("button", { name: "Add contact" }).click();
      await page.locator("table.contact-table tr", { hasText: name }).waitFor();
    }
    const cookies = await page.context().cookies(base);
    return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  } finally {
    await browser.close();
  }
}

/** Lighthouse's report of `path`, from a Chromium of its own (a cold cache each time). */
async function audit(path, cookie) {
  const chrome = await chromeLauncher.launch({
    chromePath,
    chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
  });
  try {
    const { lhr } = await lighthouse(`${base}${path}`, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: Object.keys(TARGETS),
      extraHeaders: cookie ? { Cookie: cookie } : undefined,
    });
    if (new URL(lhr.finalDisplayedUrl).pathname !== path) {
      throw new Error(`${path} ended on ${lhr.finalDisplayedUrl}: not the page asked for`);
    }
    return lhr;
  } finally {
    await chrome.kill();
  }
}

function report(path, lhr) {
  if (process.env.LIGHTHOUSE_JSON) {
    writeFileSync(`${process.env.LIGHTHOUSE_JSON}${path.replaceAll("/", "-")}.json`, JSON.stringify(lhr));
  }
  const scores = Object.entries(TARGETS)
    .map(([id, target]) => {
      const score = Math.round((lhr.categories[id]?.score ?? 0) * 100);
      return `${lhr.categories[id]?.title ?? id} ${score} (target ${target === 100 ? "" : "≥ "}${target})`;
    })
    .join(", ");
  const ms = (id) => `${(lhr.audits[id].numericValue / 1000).toFixed(1)} s`;
  const kib = Math.round(lhr.audits["total-byte-weight"].numericValue / 1024);
  console.log(`${path}: ${scores}`);
  // A run Lighthouse could not finish (no paint measured, say) scores 0: say why.
  if (lhr.runtimeError) {
    console.log(`  Lighthouse could not measure this run: ${lhr.runtimeError.code}: ${lhr.runtimeError.message}`);
  }
  for (const warning of lhr.runWarnings ?? []) {
    console.log(`  warning: ${warning}`);
  }
  console.log(
    `  first contentful paint ${ms("first-contentful-paint")}, largest contentful paint ${ms("largest-contentful-paint")}, ` +
      `total blocking time ${Math.round(lhr.audits["total-blocking-time"].numericValue)} ms, ` +
      `speed index ${ms("speed-index")}, ${kib} KiB transferred`,
  );
  const lcp = lhr.audits["largest-contentful-paint-element"]?.details?.items?.[0]?.items?.[0]?.node;
  if (lcp) {
    console.log(`  largest contentful paint: ${lcp.snippet}`);
  }
  for (const category of Object.keys(TARGETS)) {
    for (const ref of lhr.categories[category]?.auditRefs ?? []) {
      const audit = lhr.audits[ref.id];
      if (ref.weight > 0 && audit.score !== null && audit.score < 1 && category !== "performance") {
        console.log(`  ${category}: ${audit.title}`);
      }
    }
  }
}

/**
 * The report of `path`, run again (up to three runs) when Lighthouse could not record the trace
 * (`NO_NAVSTART`, which it asks to be run again for); any other failure is reported as it is.
 */
async function measured(path, cookie) {
  for (let run = 1; ; run++) {
    const lhr = await audit(path, cookie);
    if (lhr.runtimeError?.code !== "NO_NAVSTART" || run === 3) {
      return lhr;
    }
    console.log(`${path}: Lighthouse could not record the trace (NO_NAVSTART); running it again`);
  }
}

const cookie = await accountWithContacts();
report("/sign-in", await measured("/sign-in"));
report("/contacts", await measured("/contacts", cookie));
