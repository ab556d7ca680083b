// Shared steps of the end-to-end tests.
import { expect, type Page } from "@playwright/test";

/** A name no other test run has used, so tests never depend on what is already stored. */
export function unique(name: string): string {
  return `${name} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Waits until the browser app has hydrated the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}

/** Marks the current document; the mark survives only as long as no full page load happens. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __kith: number }).__kith = 1));
}

export async function documentIsUnchanged(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __kith?: number }).__kith === 1);
}

/** Fills the add-contact form on /contacts. */
export async function fillAddForm(page: Page, name: string, description: string, method: string): Promise<void> {
  const form = page.locator("section.add-contact");
  await form.getByLabel("Name").fill(name);
  await form.getByLabel("Description").fill(description);
  await form.getByLabel("Contact method").fill(method);
}

/** The URLs of every page the browser requested for navigation, redirects included. */
export function recordNavigations(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      urls.push(new URL(request.url()).pathname);
    }
  });
  return urls;
}

/** The password of every account the tests sign up. */
export const PASSWORD = "correct horse battery staple";

/** An email address no other test run has used. */
export function uniqueEmail(who = "tester"): string {
  return `${who}.${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}@example.com`;
}

/**
 * Signs up a new account through the sign-up page (at `base`, default the main server) and
 * lands on its contacts. Works with JavaScript on or off. Returns the address.
 */
export async function signUp(page: Page, base = "", email = uniqueEmail()): Promise<string> {
  await page.goto(`${base}/sign-up`);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
  return email;
}

/** Adds a contact through the list page's form and waits until the list shows it. */
export async function addContact(page: Page, name: string, description = ""): Promise<void> {
  await fillAddForm(page, name, description, "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.locator("table.contact-table tr", { hasText: name })).toBeVisible();
}
