import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { OtpPage } from '../pages/otp-page';

/** What the browser said while a test ran. */
export interface BrowserLog {
  /** Console messages of type error or warning. */
  console: { type: string; text: string; url: string }[];
  /** Uncaught exceptions and unhandled rejections on the page. */
  pageErrors: string[];
  /** `securitypolicyviolation` events: what the page's CSP blocked. */
  cspViolations: string[];
}

interface Fixtures {
  otp: OtpPage;
  browserLog: BrowserLog;
  /** Saves a screenshot of the whole page as test-results/screenshots/<project>/<name>.png. */
  shot: (name: string) => Promise<void>;
}

const screenshotRoot = path.join(
  process.env.OTP_E2E_ROOT ?? path.resolve(__dirname, '../../..'),
  'test-results',
  'screenshots',
);

export const test = base.extend<Fixtures>({
  // Every test watches the browser: a CSP violation or an uncaught error
  // fails it, whatever the test itself checks.
  browserLog: [
    async ({ page }, use) => {
      const log: BrowserLog = { console: [], pageErrors: [], cspViolations: [] };
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') {
          log.console.push({ type: m.type(), text: m.text(), url: m.location().url });
        }
      });
      page.on('pageerror', (e) => log.pageErrors.push(String(e)));
      await page.exposeFunction('__otpCspViolation', (v: string) => log.cspViolations.push(v));
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          const report = (window as unknown as { __otpCspViolation: (v: string) => void }).__otpCspViolation;
          report(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      await use(log);
      expect(log.cspViolations, 'CSP violations').toEqual([]);
      expect(log.pageErrors, 'uncaught errors on the page').toEqual([]);
    },
    { auto: true },
  ],

  otp: async ({ page }, use) => {
    await use(new OtpPage(page));
  },

  shot: async ({ page }, use, testInfo) => {
    await use((name) => saveShot(page, testInfo, name));
  },
});

async function saveShot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const dir = path.join(screenshotRoot, testInfo.project.name);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

export { expect };
