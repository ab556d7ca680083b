// The event browser: the account's own events, newest first, filtered by type and contact.
import { expect, test } from "@playwright/test";
import { addContact, hydrated, signUp, unique } from "./helpers";

test("the event browser shows what was recorded, newest first, and filters it", async ({ page }) => {
  await signUp(page);
  await hydrated(page);
  const name = unique("Eventful");
  await addContact(page, name, "met at a talk");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Events" })).toBeVisible();
  const events = page.locator("ol.events li");
  await expect(events.first()).toContainText("contact-created v2");
  await expect(events.first()).toContainText("by you");
  await expect(events.first().locator("pre")).toContainText(name);
  await expect(events.last()).toContainText("account-registered");

  await page.getByLabel("Event type").selectOption("account-registered");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/type=account-registered/);
  await expect(events).toHaveCount(1);

  await page.goto(`/events?contact=${encodeURIComponent("Nobody at all")}`);
  await expect(page.getByText("No events match these filters.")).toBeVisible();
  await page.getByRole("link", { name: "Show every event" }).click();
  await expect(events.first()).toContainText("contact-created");
});
