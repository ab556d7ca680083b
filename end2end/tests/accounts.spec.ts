// Accounts: signing up, in and out, the settings, and two accounts that never see each other's data.
import { expect, test } from "@playwright/test";
import { PASSWORD, addContact, hydrated, signUp, unique, uniqueEmail } from "./helpers";

test("a signed-out visitor is sent to sign in, signs up, signs out and signs in again", async ({ page }) => {
  await page.goto("/contacts");
  await expect(page).toHaveURL(/\/sign-in$/);
  await hydrated(page);
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Create your Kith account" })).toBeVisible();

  // Bad input is refused field by field, and nothing typed but the password is lost.
  const email = uniqueEmail("ada");
  await page.getByLabel("Email address").fill("ada at example");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.locator("#sign-up-email-error")).toHaveText("Enter one email address, like name@example.com.");
  await expect(page.locator("#sign-up-password-error")).toHaveText("Password must have at least 12 characters (it has 5).");
  await expect(page.getByLabel("Password")).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Display name").fill("Ada");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.locator(".account-email")).toHaveText(email);
  await expect(page.getByText("No contacts yet.")).toBeVisible();

  await hydrated(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  // Signing out lands on /sign-in twice (the router follows the answer's redirect, then the
  // page reloads itself there to drop every signed-in state): a visit meanwhile is cut short.
  await expect(async () => {
    await page.goto("/contacts");
  }).toPass({ timeout: 10_000 });
  await expect(page).toHaveURL(/\/sign-in$/);

  await hydrated(page);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#sign-in-password-error")).toContainText("do not match an account");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.locator(".account-email")).toHaveText(email);
});

test("signing in goes on to the page that was asked for", async ({ page, browser }) => {
  const email = await signUp(page);
  const name = unique("Grace");
  await addContact(page, name);
  const other = await browser.newContext();
  const fresh = await other.newPage();
  await fresh.goto(`/contacts/${encodeURIComponent(name)}`);
  await expect(fresh).toHaveURL(/\/sign-in\?next=/);
  await fresh.getByLabel("Email address").fill(email);
  await fresh.getByLabel("Password").fill(PASSWORD);
  await fresh.getByRole("button", { name: "Sign in" }).click();
  await expect(fresh.getByRole("heading", { level: 1, name })).toBeVisible();
  await other.close();
});

test("a second account sees none of the first account's contacts, even by their address", async ({ page, browser }) => {
  await signUp(page);
  const name = unique("Secret Sam");
  await addContact(page, name, "Only mine");

  const second = await browser.newContext();
  const other = await second.newPage();
  await signUp(other);
  await expect(other.getByText("No contacts yet.")).toBeVisible();
  await expect(other.getByText(name)).toHaveCount(0);
  const response = await other.goto(`/contacts/${encodeURIComponent(name)}`);
  expect(response?.status()).toBe(404);
  await expect(other.getByRole("heading", { name: /No contact called/ })).toBeVisible();
  await expect(other.getByText("Only mine")).toHaveCount(0);

  // The same name is free for the second account.
  await other.goto("/contacts");
  await addContact(other, name, "Theirs");
  await page.reload();
  await expect(page.locator("table.contact-table tr", { hasText: name })).toContainText("Only mine");
  await second.close();
});

test("settings: time zone and morning hour are saved and shown again", async ({ page }) => {
  await signUp(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Time zone").selectOption("Europe/Paris");
  await page.getByLabel("Send the morning email at").selectOption("6");
  await page.getByLabel("Email address for meeting notes").fill("not-an-address");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.locator("#settings-notes_email-error")).toHaveText("Enter one email address, like name@example.com.");
  await page.getByLabel("Email address for meeting notes").fill("notes@example.com");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/Paris");
  await expect(page.getByLabel("Send the morning email at")).toHaveValue("6");
  await expect(page.getByLabel("Email address for meeting notes")).toHaveValue("notes@example.com");
});

test.describe("in Tokyo", () => {
  test.use({ timezoneId: "Asia/Tokyo" });

  test("a new account starts in the browser's time zone", async ({ page }) => {
    await page.goto("/sign-up");
    await hydrated(page);
    await page.getByLabel("Email address").fill(uniqueEmail("kenji"));
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/contacts$/);
    // The settings page reads projected_accounts, which may take a moment to apply the sign-up.
    await expect(async () => {
      await page.goto("/settings");
      await expect(page.getByLabel("Time zone")).toHaveValue("Asia/Tokyo", { timeout: 1_000 });
    }).toPass();
  });
});
