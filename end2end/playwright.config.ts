// Playwright runs against the server that `cargo leptos end-to-end` starts (scripts/end2end.sh),
// in the machine's own Chromium: no browser is downloaded. It starts a second server on the same
// build without listeners, for the tests of a stalled projection.
import { defineConfig } from "@playwright/test";

const baseURL = process.env.KITH_BASE_URL ?? "http://127.0.0.1:3000";
const stalledURL = process.env.KITH_STALLED_URL ?? "http://127.0.0.1:3101";
const serverBin = process.env.KITH_SERVER_BIN;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: serverBin
    ? {
        command: `"${serverBin}" serve --without-listeners`,
        url: `${stalledURL}/sign-in`,
        reuseExistingServer: false,
        timeout: 60_000,
        env: {
          DATABASE_URL: process.env.KITH_STALLED_DATABASE ?? "",
          LEPTOS_OUTPUT_NAME: "crm",
          LEPTOS_SITE_ROOT: process.env.KITH_SITE_ROOT ?? "../target/site",
          LEPTOS_SITE_PKG_DIR: "pkg",
          // The build names the site's files by their hashes, in hash.txt beside the server.
          LEPTOS_HASH_FILES: "true",
          LEPTOS_SITE_ADDR: new URL(stalledURL).host,
          LEPTOS_ENV: "PROD",
          KITH_SIGN_UPS_PER_ADDRESS: "100000",
          KITH_SIGN_UPS_PER_HOUR: "100000",
        },
      }
    : undefined,
});
