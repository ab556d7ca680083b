// When the background workers do not apply a change, the wait is bounded: the page says the
// change is saved and still processing and shows the workers' health, and never hangs.
// These tests use a second server on the same build that runs no listeners at all.
import { expect, test } from "@playwright/test";
import { fillAddForm, hydrated, signUp, unique } from "./helpers";

const stalled = process.env.KITH_STALLED_URL ?? "http://127.0.0.1:3101";

test("with JavaScript, the page says the change is saved and still processing", async ({ page }) => {
  const name = unique("Patient Person");
  await signUp(page, stalled);
  await hydrated(page);
  await fillAddForm(page, name, "Waits", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  const notice = page.getByRole("status").filter({ hasText: "still processing" });
  await expect(notice).toBeVisible({ timeout: 10_000 });
  await expect(notice).toContainText(/Saved \(event #\d+\)/);
  await expect(notice.locator(".health")).toContainText("projected_contacts");
  await expect(notice.locator(".health")).toContainText("not responding");
  await expect(notice.locator(".health")).toContainText(/[1-9]\d* of your changes? still to apply/);
  // The scheduled jobs are listed too, with their last and next run.
  await expect(notice.locator(".health")).toContainText(/mailer running/);
  await expect(notice.locator(".health")).toContainText(/next run \d{4}-\d{2}-\d{2} /);
  await expect(notice.getByRole("link", { name: "The full status page" })).toHaveAttribute("href", "/status");
  await expect(page.getByRole("button", { name: "Add contact" })).toBeEnabled();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the Processing page keeps refreshing and then shows the workers' health", async ({ page }) => {
    const name = unique("Patient Person");
    await signUp(page, stalled);
    await fillAddForm(page, name, "Waits", "");
    await page.getByRole("button", { name: "Add contact" }).click();
    await expect(page).toHaveURL(/\/processing\?/);
    await expect(page.getByRole("heading", { name: "Processing…" })).toBeVisible();
    await expect(page.getByText("how the background workers are doing")).toBeVisible({ timeout: 20_000 });
    await expect(page.locator(".health")).toContainText("not responding");
    await expect(page).toHaveURL(/attempt=[3-9]/);
  });
});
