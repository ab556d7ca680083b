// The morning email of meeting notes, through the real mailer (it writes to an outbox folder
// during these tests): the contact's page says when the email goes out, and that it went.
import { expect, test } from "@playwright/test";
import { addContact, hydrated, signUp, unique } from "./helpers";

/** Today in the browser's (and so the new account's) time zone, as YYYY-MM-DD. */
function today(): string {
  return new Date().toLocaleDateString("en-CA");
}

test("a meeting today is emailed at once when the morning hour has passed, and the page says so", async ({ page }) => {
  await signUp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Send the morning email at").selectOption("0");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();

  const name = unique("Morning");
  await page.goto("/contacts");
  await hydrated(page);
  await addContact(page, name);
  await page.getByRole("link", { name }).click();
  const meeting = page.locator("section.meeting");
  await meeting.getByLabel("Date").fill(today());
  await meeting.getByLabel("Time").fill("23:59");
  await meeting.getByLabel("Notes for the meeting").fill("Ask about **Postgres**");
  await meeting.getByRole("button", { name: "Save meeting" }).click();
  const email = meeting.locator(".morning-email");
  await expect(email).toContainText("Morning email");
  // The mailer runs every half second here; the page shows the new state once reloaded.
  await expect(async () => {
    await page.reload();
    await expect(page.locator(".morning-email")).toContainText("Your notes were emailed to you on", { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.locator(".morning-email")).toHaveClass(/email-sent/);
});

test("a meeting on a later day says when its email will go out", async ({ page }) => {
  await signUp(page);
  const name = unique("Later");
  await addContact(page, name);
  await page.getByRole("link", { name }).click();
  await hydrated(page);
  const meeting = page.locator("section.meeting");
  await meeting.getByLabel("Date").fill("2030-05-17");
  await meeting.getByLabel("Time").fill("09:30");
  await meeting.getByRole("button", { name: "Save meeting" }).click();
  await expect(meeting.locator(".morning-email")).toContainText(
    "Your notes will be emailed to you on Friday 17 May 2030 at 07:00.",
  );
  await expect(meeting.getByRole("link", { name: "Settings" })).toBeVisible();
});
