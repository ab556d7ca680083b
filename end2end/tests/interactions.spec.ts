// Interactions, meeting notes and the sorted list, with JavaScript on and off.
import { expect, test, type Page } from "@playwright/test";
import { addContact, hydrated, recordNavigations, signUp, unique } from "./helpers";

async function openContact(page: Page, name: string): Promise<void> {
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name, exact: true })).toBeVisible();
}

async function recordInteraction(page: Page, date: string, kind: string, note = ""): Promise<void> {
  const form = page.locator("form", { has: page.locator("#interaction-kind") });
  await form.getByLabel("Date").fill(date);
  await form.getByLabel("What was it?").fill(kind);
  await form.getByLabel("Note").fill(note);
  await page.getByRole("button", { name: "Record interaction" }).click();
}

const HOSTILE_NOTES = [
  "Ask Sally about **Postgres**",
  "",
  "- indexes",
  "- [the docs](https://www.postgresql.org/docs/)",
  "",
  "<script>window.__pwned = 1</script>",
  "",
  "[click me](javascript:window.__pwned=2) <img src=x onerror=\"window.__pwned=3\">",
].join("\n");

async function expectSafeNotes(page: Page): Promise<void> {
  const notes = page.locator(".meeting .notes");
  await expect(notes.locator("strong")).toHaveText("Postgres");
  await expect(notes.locator("li")).toHaveCount(2);
  await expect(notes.getByRole("link", { name: "the docs" })).toHaveAttribute("href", "https://www.postgresql.org/docs/");
  await expect(notes.locator("script")).toHaveCount(0);
  await expect(notes.locator("[onerror]")).toHaveCount(0);
  await expect(notes.locator('a[href^="javascript"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
}

test.describe("with JavaScript", () => {
  test.beforeEach(async ({ page }) => {
    await signUp(page);
    await hydrated(page);
  });

  test("recording interactions: newest first, and the last one follows the day it happened", async ({ page }) => {
    const name = unique("Bob");
    await addContact(page, name);
    await openContact(page, name);
    await hydrated(page);
    await expect(page.getByText("No interactions recorded yet.")).toBeVisible();

    await recordInteraction(page, "2019-08-13", "coffee", "Talked about his new job");
    const items = page.locator("ol.interactions li");
    await expect(items).toHaveCount(1);
    await expect(items.first()).toContainText("Tue 13 Aug 2019");
    await expect(items.first()).toContainText("coffee");
    await expect(items.first()).toContainText("Talked about his new job");
    await expect(page.locator("dl.facts")).toContainText("2019-08-13");

    // An older interaction recorded now does not move the last interaction.
    await recordInteraction(page, "2019-07-01", "call");
    await expect(items).toHaveCount(2);
    await expect(items.nth(1)).toContainText("call");
    await expect(page.locator("dl.facts")).toContainText("2019-08-13");

    // Correct the call to a later day: now it is the last one.
    await items.nth(1).getByText("Correct or remove").click();
    await items.nth(1).getByLabel("Date").fill("2019-09-02");
    await items.nth(1).getByRole("button", { name: "Save correction" }).click();
    await expect(page.locator("dl.facts")).toContainText("2019-09-02");
    await expect(items.first()).toContainText("call");

    // A date in the future is refused next to the field.
    await recordInteraction(page, "2100-01-01", "time travel");
    await expect(page.locator("#interaction-occurred_on-error")).toHaveText("Date cannot be in the future.");

    await page.getByRole("link", { name: "← All contacts" }).click();
    await expect(page.locator("table.contact-table tr", { hasText: name })).toContainText("2019-09-02");
  });

  test("meeting notes in Markdown are rendered, and scripts never run", async ({ page }) => {
    const name = unique("Sally");
    await addContact(page, name);
    await openContact(page, name);
    await hydrated(page);
    await expect(page.getByText("No meeting planned.")).toBeVisible();
    const meeting = page.locator("section.meeting");
    await meeting.getByLabel("Date").fill("2030-05-17");
    await meeting.getByLabel("Time").fill("09:30");
    await meeting.getByLabel("Notes for the meeting").fill(HOSTILE_NOTES);
    await meeting.getByRole("button", { name: "Save meeting" }).click();
    await expect(meeting.locator(".meeting-when")).toContainText("Friday 17 May 2030 at 09:30");
    await expectSafeNotes(page);
    await page.reload();
    await expectSafeNotes(page);

    await page.getByRole("link", { name: "← All contacts" }).click();
    const row = page.locator("table.contact-table tr", { hasText: name });
    await expect(row).toContainText("2030-05-17 09:30");
    await expect(row.locator(".excerpt")).toContainText("Ask Sally about Postgres indexes the docs");
  });

  test("the list sorts by each column, both ways, and the sort survives a reload", async ({ page }) => {
    const tag = unique("Sort");
    const people = [
      { name: `${tag} Anna`, met: "2019-03-01" },
      { name: `${tag} Bert`, met: "2019-01-01" },
      { name: `${tag} Cleo`, met: "2019-02-01" },
    ];
    for (const person of people) {
      await addContact(page, person.name);
    }
    for (const person of people) {
      await page.goto(`/contacts/${encodeURIComponent(person.name)}`);
      await hydrated(page);
      await recordInteraction(page, person.met, "lunch");
      await expect(page.locator("dl.facts")).toContainText(person.met);
    }
    await page.goto(`/contacts?q=${encodeURIComponent(tag)}`);
    await hydrated(page);
    const names = page.locator("table.contact-table tbody td[data-label=Name]");
    await expect(names).toHaveText([`${tag} Anna`, `${tag} Bert`, `${tag} Cleo`]);

    await page.getByRole("link", { name: "Last interaction" }).click();
    await expect(page).toHaveURL(/sort=last_interaction/);
    await expect(names).toHaveText([`${tag} Bert`, `${tag} Cleo`, `${tag} Anna`]);
    await page.getByRole("link", { name: /Last interaction/ }).click();
    await expect(page).toHaveURL(/dir=desc/);
    await expect(names).toHaveText([`${tag} Anna`, `${tag} Cleo`, `${tag} Bert`]);
    await expect(page.locator("th[aria-sort=descending]")).toContainText("Last interaction");
    await page.reload();
    await expect(names).toHaveText([`${tag} Anna`, `${tag} Cleo`, `${tag} Bert`]);

    const navigations = recordNavigations(page);
    await page.getByLabel("Search").fill(`${tag} Cl`);
    await page.getByRole("button", { name: "Show" }).click();
    await expect(names).toHaveText([`${tag} Cleo`]);
    expect(new URL(page.url()).searchParams.get("q")).toBe(`${tag} Cl`);
    await expect(page.locator(".list-count")).toContainText("1 of");
    await page.getByLabel("Search").fill("no such person at all");
    await page.getByRole("button", { name: "Show" }).click();
    await expect(page.getByText(/No contacts match/)).toBeVisible();
    expect(navigations, "the search is shown in place, without loading the page again").toEqual([]);
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test.beforeEach(async ({ page }) => {
    await signUp(page);
  });

  test("recording an interaction, writing notes and sorting all work as plain forms", async ({ page }) => {
    const name = unique("Linus");
    await addContact(page, name);
    await openContact(page, name);
    const navigations = recordNavigations(page);

    await recordInteraction(page, "2019-08-13", "coffee");
    await expect(page.locator("ol.interactions li")).toContainText("coffee");
    expect(navigations).toContain("/processing");

    // A refusal comes back to the right form, with what was typed.
    await recordInteraction(page, "", "lunch", "kept");
    await expect(page.locator("#interaction-occurred_on-error")).toHaveText("Date is required.");
    await expect(page.locator("#interaction-kind")).toHaveValue("lunch");
    await expect(page.locator("#interaction-note")).toHaveValue("kept");

    const meeting = page.locator("section.meeting");
    await meeting.getByLabel("Date").fill("2030-05-17");
    await meeting.getByLabel("Time").fill("14:00");
    await meeting.getByLabel("Notes for the meeting").fill(HOSTILE_NOTES);
    await meeting.getByRole("button", { name: "Save meeting" }).click();
    await expect(page.locator(".meeting-when")).toContainText("Friday 17 May 2030 at 14:00");
    const notes = page.locator(".meeting .notes");
    await expect(notes.locator("strong")).toHaveText("Postgres");
    await expect(notes.locator("script")).toHaveCount(0);

    await page.goto("/contacts");
    await page.getByLabel("Sort by").selectOption("next_meeting");
    await page.getByLabel("Order").selectOption("desc");
    await page.getByRole("button", { name: "Show" }).click();
    await expect(page).toHaveURL(/sort=next_meeting&dir=desc/);
    await expect(page.locator("th[aria-sort=descending]")).toContainText("Next meeting");
  });
});
