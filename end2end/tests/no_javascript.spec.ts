// Every form works with JavaScript off: posts redirect through the "Processing..." page (the
// seed's approach) and refusals come back to the form with the message and the typed values.
import { expect, test } from "@playwright/test";
import { fillAddForm, recordNavigations, signUp, unique } from "./helpers";

test.use({ javaScriptEnabled: false });

test.beforeEach(async ({ page }) => {
  await signUp(page);
});

test("adding a contact goes through the Processing page and lands on the list showing it", async ({ page }) => {
  const name = unique("Steve Wozniak");
  await page.goto("/contacts");
  const navigations = recordNavigations(page);
  await fillAddForm(page, name, "Engineer", "woz@apple.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.locator("table.contact-table tr", { hasText: name })).toContainText("Engineer");
  expect(navigations).toContain("/processing");
  expect(navigations.at(-1)).toBe("/contacts");
});

test("editing and deleting work without JavaScript", async ({ page }) => {
  const name = unique("Linus");
  await page.goto("/contacts");
  await fillAddForm(page, name, "Kernel", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await page.getByRole("link", { name, exact: true }).click();

  const edit = page.locator("section", { has: page.getByRole("heading", { name: "Edit" }) });
  await edit.getByLabel("Description").fill("Git, too");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("dl.facts")).toContainText("Git, too");

  await page.getByText("Delete this contact…").click();
  await page.getByRole("button", { name: `Delete ${name}` }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.locator("table.contact-table", { hasText: name })).toHaveCount(0);
});

test("an edit of a contact whose name needs escaping lands back on its page", async ({ page }) => {
  const name = unique("50% Off / Who? #1");
  await page.goto("/contacts");
  await fillAddForm(page, name, "Shop", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name, exact: true })).toBeVisible();
  const edit = page.locator("section", { has: page.getByRole("heading", { name: "Edit" }) });
  await edit.getByLabel("Description").fill("Corner shop");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { level: 1, name, exact: true })).toBeVisible();
  await expect(page.locator("dl.facts")).toContainText("Corner shop");
});

test("a refusal comes back to the form with the message and what was typed", async ({ page }) => {
  const name = unique("Margaret Hamilton");
  await page.goto("/contacts");
  await fillAddForm(page, name, "Apollo", "");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.locator("table.contact-table tr", { hasText: name })).toBeVisible();

  await fillAddForm(page, name, "A second one", "margaret@example.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  await expect(page.locator("#add-name-error")).toContainText("You already have a contact named");
  await expect(page).toHaveURL(/\/contacts\?refused=[0-9a-f]{32}$/);
  const form = page.locator("section.add-contact");
  await expect(form.getByLabel("Name")).toHaveValue(name);
  await expect(form.getByLabel("Description")).toHaveValue("A second one");
  await expect(form.getByLabel("Contact method")).toHaveValue("margaret@example.com");
});

test("the Processing page says when there is nothing to wait for", async ({ page }) => {
  await page.goto("/processing?projection=projected_contacts&event=999999999&next=/contacts");
  await expect(page.getByRole("heading", { name: "Nothing to wait for" })).toBeVisible();
  await expect(page.getByText("None of your changes is event #999999999.")).toBeVisible();
  await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(0);
});
