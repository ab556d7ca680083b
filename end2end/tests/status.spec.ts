// The status page: every projection with how far it has read the stream, and the jobs.
import { expect, test } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("the status page lists each projection and the mailer, and is reached from the header", async ({ page }) => {
  await signUp(page);
  await hydrated(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Status" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Status" })).toBeVisible();
  const health = page.locator(".health");
  for (const projection of ["projected_accounts", "projected_contacts", "projected_meeting_notes_emails"]) {
    await expect(health).toContainText(projection);
  }
  await expect(health).toContainText(/caught up with your changes · last heartbeat/);
  // Only the account's own position shows: nothing about the stream's other events.
  await expect(health).not.toContainText(/#\d+|newest event|pid \d+/);
  await expect(health).toContainText(/mailer running/);
  await expect(page.getByRole("link", { name: "The full status page" })).toHaveCount(0);
});

test("signed out, the status page asks to sign in first", async ({ page }) => {
  await page.goto("/status");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fstatus/);
});
