// Pages other than /contacts and /sign-in have their code in WebAssembly chunks of their own
// (`--split`): a first visit to one fetches the main module and the page's chunks, named in the
// page itself so they load beside the main module; the app fetches a page's chunks the first
// time it goes there, without a reload.
import { expect, test, type Page } from "@playwright/test";
import { addContact, documentIsUnchanged, hydrated, markDocument, signUp, unique } from "./helpers";

/** The WebAssembly files the page fetches from now on, by name. */
function recordWasm(page: Page): Set<string> {
  const names = new Set<string>();
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) {
      names.add(path.split("/").pop()!);
    }
  });
  return names;
}

test("a first visit loads the main module and its page's chunks, named in the page", async ({ page }) => {
  const html = await (await page.request.get("/sign-up")).text();
  const preloaded = [...html.matchAll(/<link [^>]*>/g)]
    .map(([tag]) => tag)
    .filter((tag) => tag.includes('rel="preload"'))
    .map((tag) => tag.match(/href="\/pkg\/([^"]+\.wasm)"/)?.[1])
    .filter((name): name is string => name !== undefined);
  const main = preloaded.filter((name) => name.startsWith("crm"));
  const chunks = preloaded.filter((name) => !name.startsWith("crm"));
  expect(main).toHaveLength(1);
  expect(chunks.length).toBeGreaterThan(0);

  const fetched = recordWasm(page);
  await page.goto("/sign-up");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Create your Kith account" })).toBeVisible();
  for (const name of preloaded) {
    expect(fetched).toContain(name);
  }
});

test("another page's code arrives when the app first goes there, without a reload", async ({ page }) => {
  await signUp(page);
  const name = unique("Ada Lovelace");
  await addContact(page, name);
  await page.goto("/contacts");
  await hydrated(page);
  // The list is in the main module: its page preloads nothing else.
  await expect(page.locator('link[rel="preload"][href$=".wasm"]')).toHaveCount(1);
  await markDocument(page);
  const fetched = recordWasm(page);

  await page.locator("table.contact-table").getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  await expect(page).toHaveTitle(`${name} · Kith`);
  await expect(page.getByRole("button", { name: "Record interaction" })).toBeVisible();
  expect(fetched.size).toBeGreaterThan(0);
  expect([...fetched].some((file) => file.startsWith("crm"))).toBe(false);
  expect(await documentIsUnchanged(page)).toBe(true);
});
