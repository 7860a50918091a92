import { defineConfig, devices } from '@playwright/test';
import * as path from 'node:path';

/**
 * The browser tests run against a server that `tests/e2e/run` has already
 * started; this file only says how to drive Chromium. The browser is
 * Debian's (`/usr/bin/chromium`): Playwright's own download is never used.
 */
const baseURL = process.env.OTP_E2E_BASE_URL;
if (!baseURL) {
  throw new Error('OTP_E2E_BASE_URL is not set: run the tests with `scripts/services -- tests/e2e/run`');
}
const root = process.env.OTP_E2E_ROOT ?? path.resolve(__dirname, '../..');

/**
 * What keeps Debian's Chromium quiet and offline here: headless, without its
 * sandbox or a GPU, and no QUIC, first-run setup, background requests,
 * component updates or sync.
 */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: path.join(__dirname, 'specs'),
  // Under the repository's git-ignored test-results/, next to the screenshots.
  outputDir: path.join(root, 'test-results', 'e2e'),
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Two cores: the server, DynamoDB Local and maildev need their share.
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'desktop',
      use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } },
    },
    {
      // A small phone, in portrait; Chromium with touch, as a phone has.
      name: 'mobile',
      use: {
        viewport: { width: 375, height: 740 },
        deviceScaleFactor: 1,
        isMobile: true,
        hasTouch: true,
      },
    },
  ],
});
