// A contact's history on its page, its contact method as a link, and the event browser's
// contact filter following a rename.
import { expect, test } from "@playwright/test";
import { fillAddForm, hydrated, signUp, unique } from "./helpers";

test("the history tells each change by whom and when, and survives a rename", async ({ page }) => {
  await signUp(page);
  await hydrated(page);
  const name = unique("Bob");
  const renamed = `${name} Builder`;
  await fillAddForm(page, name, "met at a talk", "bob@example.com");
  await page.getByRole("button", { name: "Add contact" }).click();
  const row = page.locator("table.contact-table tr", { hasText: name });
  await expect(row.getByRole("link", { name: "bob@example.com" })).toHaveAttribute("href", "mailto:bob@example.com");

  await row.getByRole("link", { name, exact: true }).click();
  await expect(page.locator("dl.facts").getByRole("link", { name: "bob@example.com" })).toHaveAttribute(
    "href",
    "mailto:bob@example.com",
  );
  const history = page.locator("section.history");
  await expect(history.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(history.locator("li").first()).toContainText(`Added “${name}”, described as “met at a talk”`);
  await expect(history.locator("li").first()).toContainText("by you, just now");

  const edit = page.locator("section", { has: page.getByRole("heading", { name: "Edit" }) });
  await edit.getByLabel("Name").fill(renamed);
  await edit.getByLabel("Description").fill("an old friend");
  await edit.getByLabel("Contact method").fill("+44 20 7946 0958");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("heading", { level: 1, name: renamed })).toBeVisible();
  await expect(history.locator("li").first()).toContainText(
    `Renamed from “${name}” to “${renamed}”; description changed from “met at a talk” to “an old friend”; ` +
      "contact method changed from “bob@example.com” to “+44 20 7946 0958”",
  );
  await expect(history.locator("li")).toHaveCount(2);
  await expect(page.locator("dl.facts").getByRole("link", { name: "+44 20 7946 0958" })).toHaveAttribute(
    "href",
    "tel:+442079460958",
  );

  // The event browser finds the contact's first event, stored under its old name, by its new one.
  await history.getByRole("link", { name: "These events in the event browser" }).click();
  await expect(page).toHaveURL(/\/events\?contact=/);
  const events = page.locator("ol.events li");
  await expect(events).toHaveCount(2);
  await expect(events.last()).toContainText("contact-created v2");
  await expect(events.last().locator("pre")).toContainText(name);
});
