import type { Browser } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';
import { solve } from '../support/pow';
import { sendAsStranger } from '../support/stranger';
import { OtpPage } from '../pages/otp-page';

/**
 * The page knows its person: an approved code leaves a session in this
 * browser (an HttpOnly cookie the page never reads), so a later visit says
 * who is signed in, an app's sign-in continues in one press without a
 * mail, and signing out (here, everywhere, or when an app asks) ends it.
 */
const app = process.env.OTP_E2E_APP_URL;
if (!app) throw new Error('OTP_E2E_APP_URL is not set: run the tests with tests/e2e/run');

/** A second browser (its own cookies), signed in with a code of its own. */
async function anotherBrowser(browser: Browser, inbox: Inbox): Promise<OtpPage> {
  const context = await browser.newContext();
  const otp = new OtpPage(await context.newPage());
  await otp.signInWithCode(inbox);
  return otp;
}

test('a person who verified their address is signed in when they come back', async ({ otp, page, request, shot }) => {
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  await expect(otp.verified).toContainText(`Signed in as ${inbox.address}`);
  await expect(otp.signOutButton).toBeVisible();

  await page.goto('/');
  await expect(otp.signedIn.getByRole('heading', { level: 2 })).toHaveText(`Signed in as ${inbox.address}`);
  await expect(otp.signedIn.getByRole('heading', { level: 2 })).toBeFocused();
  await expect(otp.emailInput).toHaveCount(0);
  await expect(otp.heading).toHaveText('Verify your email');
  for (const button of [otp.signOutButton, otp.anotherAddressButton, otp.signOutEverywhereButton]) {
    await expect(button).toHaveAttribute('type', 'button');
  }
  await shot('session');

  // Another address: the Email screen, empty; the session stays meanwhile.
  await otp.anotherAddressButton.click();
  await expect(otp.emailInput).toBeFocused();
  await expect(otp.emailInput).toHaveValue('');
  await page.goto('/');
  await expect(otp.signedIn).toContainText(inbox.address);
});

test('"Continue to Example Shop" as the person signed in takes one press and no mail', async ({
  otp,
  page,
  request,
  shot,
}, testInfo) => {
  const width = testInfo.project.name === 'mobile' ? 320 : undefined;
  if (width) await page.setViewportSize({ width, height: 640 });
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  const mails = await inbox.count();
  expect(mails).toBe(1);

  await page.goto(`${app}/login`);
  await expect(otp.heading).toHaveText('Continue to Example Shop');
  await expect(otp.who).toHaveText(`as ${inbox.address}`);
  await expect(otp.continueButton).toBeFocused();
  await expect(otp.continueButton).toHaveAttribute('aria-describedby', 'who');
  await expect(otp.cancelButton).toBeVisible();
  await expect(otp.emailInput).toHaveCount(0);
  if (width) {
    expect(await otp.contentWidth(), 'page width').toBeLessThanOrEqual(width);
    await expect(otp.continueButton).toBeInViewport();
  }
  await shot('continue');

  await otp.continueButton.click();
  // Back at the app, which redeemed the code and read the address from
  // the verified ID token; nothing was mailed.
  await expect(page.getByTestId('signed-in')).toBeVisible();
  expect(page.url().startsWith(`${app}/callback?`)).toBe(true);
  await expect(page.getByTestId('email')).toHaveText(inbox.address);
  expect(await inbox.count(), 'mails to the address').toBe(mails);
});

test('"Use another address" on an app sign-in signs in someone else with a code', async ({ otp, page, request }) => {
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  const other = Inbox.fresh(request);

  await page.goto(`${app}/login`);
  await expect(otp.continueButton).toBeVisible();
  await otp.anotherAddressButton.click();
  await expect(otp.heading).toHaveText('Continue to Example Shop');
  await expect(otp.emailInput).toHaveValue('');
  await otp.sendCodeTo(other.address);
  await otp.typeCode(await other.nextCode());
  await expect(page.getByTestId('email')).toHaveText(other.address);
});

test('Sign out ends the session in this browser and says so', async ({ otp, page, request }) => {
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  await otp.signOutButton.click();

  await expect(otp.status).toHaveText('You are signed out.');
  await expect(otp.emailInput).toBeFocused();
  await expect(otp.emailInput).toHaveValue('');
  await page.goto('/');
  await expect(otp.emailInput).toBeVisible();
  await expect(otp.signedIn).toHaveCount(0);
  // An app's sign-in now asks for a code.
  await page.goto(`${app}/login`);
  await expect(otp.emailInput).toBeVisible();
  await expect(otp.continueButton).toHaveCount(0);
});

test('Sign out everywhere ends the sessions of the address in every browser', async ({ otp, page, request, browser }) => {
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  const elsewhere = await anotherBrowser(browser, inbox);
  await elsewhere.page.goto('/');
  await expect(elsewhere.signedIn).toContainText(inbox.address);

  const ended = page.waitForResponse((r) => r.url().endsWith('/api/session/end'));
  await otp.signOutEverywhereButton.click();
  expect(await (await ended).json()).toEqual({ sessions_ended: 2 });
  await expect(otp.status).toHaveText('You are signed out.');

  await elsewhere.page.goto('/');
  await expect(elsewhere.emailInput).toBeVisible();
  await expect(elsewhere.signedIn).toHaveCount(0);
  await elsewhere.page.context().close();
});

test('a logout an app asks for is confirmed on the page first', async ({ otp, page, request, shot }) => {
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);

  // Without an ID token of the person, the service asks them first.
  await page.goto('/logout?client_id=example-shop');
  await expect(page).toHaveURL(/\/\?logout=[\w-]{22}$/);
  await expect(otp.heading).toHaveText('Sign out of Example Shop?');
  await expect(otp.who).toHaveText(`Signed in as ${inbox.address}`);
  await expect(otp.confirmLogoutButton).toBeFocused();
  await shot('logout');

  // "Stay signed in" asks nothing and keeps the session.
  await otp.staySignedInButton.click();
  await expect(otp.signedIn).toContainText(inbox.address);
  await expect(otp.heading).toHaveText('Verify your email');

  await page.goto('/logout?client_id=example-shop');
  await otp.confirmLogoutButton.click();
  await expect(otp.status).toHaveText('You are signed out.');
  await expect(otp.emailInput).toBeVisible();
  await page.goto('/');
  await expect(otp.emailInput).toBeVisible();
  await expect(otp.signedIn).toHaveCount(0);
});

test('a logout the service finished says so and offers the Email screen', async ({ otp, page }) => {
  await page.goto('/?logout=done');
  await expect(otp.status).toHaveText('You are signed out.');
  await expect(otp.emailInput).toBeFocused();
});

test('a session endpoint that refuses or cannot be reached never blocks the Email screen', async ({ otp, page }) => {
  for (const answer of ['404', 'no answer']) {
    await page.route('**/api/session', (route) =>
      answer === '404'
        ? route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"Not found."}}' })
        : route.abort('connectionrefused'),
    );
    await page.goto('/');
    await expect(otp.emailInput).toBeFocused();
    await expect(otp.error).toHaveCount(0);
    await expect(otp.retryButton).toHaveCount(0);
    await page.unroute('**/api/session');
  }
});

test.describe("when strangers on other networks have spent the address's cap", () => {
  // The product's budgets (10 free sends an address a day, then proofs of
  // work up to its cap of 20), with puzzles the strangers solve at once.
  const url = process.env.OTP_E2E_CAP_URL;
  test.skip(!url, 'OTP_E2E_CAP_URL is not set: run the tests with tests/e2e/run');
  test.use({ baseURL: url });

  /**
   * Strangers on four other loopback addresses send until the address's cap
   * refuses them, solving every proof of work asked on the way; how many
   * messages they got out.
   */
  async function strangersSpendTheCap(email: string): Promise<number> {
    let sent = 0;
    for (const from of ['127.0.0.4', '127.0.0.5', '127.0.0.6', '127.0.0.7']) {
      for (;;) {
        const request_id = randomBytes(16).toString('hex');
        let answer = await sendAsStranger(url!, email, { from, request_id });
        if (answer.status === 429) {
          const refusal = JSON.parse(answer.body).error;
          if (refusal.code !== 'proof_of_work_required') break;
          const { token, difficulty } = refusal.challenge as { token: string; difficulty: number };
          const proof = { challenge: token, nonce: solve(token, difficulty) };
          answer = await sendAsStranger(url!, email, { from, request_id, proof });
        }
        if (answer.status !== 202) break;
        sent += 1;
      }
    }
    return sent;
  }

  test("the owner's browser gets a code; a browser seen for the first time does not", async ({
    otp,
    page,
    request,
    browser,
  }, testInfo) => {
    test.skip(testInfo.project.name !== 'desktop', 'the strangers are the same in every project');
    const inbox = Inbox.fresh(request);
    // The owner proves the address once in this browser.
    await otp.signInWithCode(inbox);

    const spent = await strangersSpendTheCap(inbox.address);
    expect(spent, "the cap of 20, one of them the owner's first code").toBe(19);
    expect(await inbox.count()).toBe(20);

    // A browser seen for the first time meets the cap.
    const context = await browser.newContext({ baseURL: url });
    const newcomer = new OtpPage(await context.newPage());
    await newcomer.open();
    const answered = newcomer.page.waitForResponse((r) => r.url().endsWith('/api/otp/send'));
    await newcomer.askForCode(inbox.address);
    const refused = await answered;
    expect(refused.status()).toBe(429);
    expect((await refused.json()).error.code).toBe('rate_limited');
    await expect(newcomer.error).toBeVisible();
    await expect(newcomer.codeInput).toHaveCount(0);
    await context.close();

    // The owner's browser, signed out (the session ends, the device keeps
    // its mark), asks again: a code in the mail, no proof of work.
    await page.goto('/');
    await otp.signOutButton.click();
    await expect(otp.status).toHaveText('You are signed out.');
    const mailbox = await Inbox.open(request, inbox.address);
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/otp/send'));
    await otp.sendCodeTo(inbox.address);
    expect((await asked).postData()).not.toContain('"proof"');
    await otp.typeCode(await mailbox.nextCode());
    await expect(otp.verified).toContainText(inbox.address);
    expect(await inbox.count(), 'the cap and the owner\'s code').toBe(21);
  });
});
