// Contacts with JavaScript on: the hydrated app waits for its projection and shows each change
// without a reload.
import { expect, test } from "@playwright/test";
import { documentIsUnchanged, fillAddForm, hydrated, markDocument, signUp, unique } from "./helpers";

test.beforeEach(async ({ page }) => {
  await signUp(page);
});

test("the front page redirects to the contacts", async ({ page }) => {
  const response = await page.request.get("/", { maxRedirects: 0, headers: { accept: "text/html" } });
  expect(response.status()).toBe(302);
  expect(response.headers()["location"]).toBe("/contacts");
});

test("the first load of /contacts is rendered on the server, then hydrates", async ({ page }) => {
  const html = await (await page.request.get("/contacts")).text();
  expect(html).toContain("<h1 id=\"contacts-heading\">Contacts</h1>");
  expect(html).toContain("Add a contact");
  await page.goto("/contacts");
  await hydrated(page);
});

test("add, edit and delete a contact without reloading the page", async ({ page }) => {
  const name = unique("Steve Jobs");
  await page.goto("/contacts");
  await hydrated(page);
  await markDocument(page);

  await fillAddForm(page, name, "CEO of NEXT", "steve@next.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  const row = page.locator("table.contact-table tr", { hasText: name });
  await expect(row).toContainText("CEO of NEXT");
  await expect(row).toContainText("steve@next.com");
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(page.locator("section.add-contact").getByLabel("Name")).toHaveValue("");
  expect(await documentIsUnchanged(page)).toBe(true);

  await row.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const edit = page.locator("section", { has: page.getByRole("heading", { name: "Edit" }) });
  await edit.getByLabel("Description").fill("CEO of Apple");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("dl.facts")).toContainText("CEO of Apple");
  expect(await documentIsUnchanged(page)).toBe(true);

  await page.getByText("Delete this contact…").click();
  await page.getByRole("button", { name: `Delete ${name}` }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
  await expect(page.locator("table.contact-table", { hasText: name })).toHaveCount(0);
  expect(await documentIsUnchanged(page)).toBe(true);
});

test("renaming a contact follows it to its new address", async ({ page }) => {
  const name = unique("Ada");
  const renamed = `${name} Lovelace`;
  await page.goto("/contacts");
  await hydrated(page);
  await fillAddForm(page, name, "Analyst", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await page.getByRole("link", { name, exact: true }).click();
  const edit = page.locator("section", { has: page.getByRole("heading", { name: "Edit" }) });
  await edit.getByLabel("Name").fill(renamed);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { level: 1, name: renamed })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/contacts/${encodeURIComponent(renamed)}$`));
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: renamed })).toBeVisible();
});

test("a duplicate name shows the error next to the field and keeps what was typed", async ({ page }) => {
  const name = unique("Grace Hopper");
  await page.goto("/contacts");
  await hydrated(page);
  await fillAddForm(page, name, "Admiral", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.locator("table.contact-table tr", { hasText: name })).toBeVisible();

  await fillAddForm(page, name.toUpperCase(), "Someone else", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  const nameField = page.locator("section.add-contact").getByLabel("Name");
  await expect(page.locator("#add-name-error")).toHaveText(`You already have a contact named “${name}”. Choose another name.`);
  await expect(nameField).toHaveAttribute("aria-invalid", "true");
  await expect(nameField).toHaveAttribute("aria-describedby", /add-name-error/);
  await expect(nameField).toHaveValue(name.toUpperCase());
  await expect(page.locator("table.contact-table tr", { hasText: "Someone else" })).toHaveCount(0);
});

test("an empty name is refused before anything is stored", async ({ page }) => {
  await page.goto("/contacts");
  await hydrated(page);
  await fillAddForm(page, "   ", "Nobody", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.locator("#add-name-error")).toHaveText("Name is required.");
});

test("an unknown contact's page says so with a 404", async ({ page }) => {
  const response = await page.goto(`/contacts/${encodeURIComponent(unique("Nobody"))}`);
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: /No contact called/ })).toBeVisible();
});

test("a name with slashes, percent signs, question marks and hashes links to its own page", async ({ page }) => {
  const name = unique("AC/DC 100%41 Who? C#");
  await page.goto("/contacts");
  await hydrated(page);
  await fillAddForm(page, name, "Band", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name, exact: true })).toBeVisible();
  await hydrated(page);

  const edit = page.locator("section", { has: page.getByRole("heading", { name: "Edit" }) });
  await edit.getByLabel("Description").fill("Rock band");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("dl.facts")).toContainText("Rock band");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name, exact: true })).toBeVisible();
  await expect(page.locator("dl.facts")).toContainText("Rock band");
});

test("when the server cannot be reached to check, the page says so instead of blaming the workers", async ({ page }) => {
  await page.goto("/contacts");
  await hydrated(page);
  await page.route("**/api/await_projection*", (route) => route.abort("connectionrefused"));
  await fillAddForm(page, unique("Offline Olga"), "", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "cannot be reached" });
  await expect(alert).toBeVisible({ timeout: 15_000 });
  await expect(alert).toContainText(/Saved \(event #\d+\)/);
});
