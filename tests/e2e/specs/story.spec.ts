import { test, expect } from '../support/fixtures';
import { Inbox, readableAddress } from '../support/mail';

test('a person verifies their address with the code from the email', async ({
  otp,
  browserLog,
  request,
  shot,
}, testInfo) => {
  const address = readableAddress(testInfo.project.name);
  const inbox = await Inbox.open(request, address);

  await otp.open();
  await expect(otp.emailInput).toBeFocused();
  // The first screen says what is about to happen.
  await expect(otp.page.getByText('We will email you a 6-digit code')).toBeVisible();
  await shot('email');

  await otp.sendCodeTo(address);
  await expect(otp.page.getByText(`We sent a code to ${address}`)).toBeVisible();
  await expect(otp.status).toContainText('Code sent. It works for 10 minutes.');
  await shot('code');

  const code = await inbox.nextCode();
  // Pasted as many mail clients copy it, with a space in the middle.
  await otp.pasteCode(`${code.slice(0, 3)} ${code.slice(3)}`);

  await expect(otp.verified).toBeVisible();
  await expect(otp.verified).toContainText(`Signed in as ${address}`);
  await expect(otp.codeInput).toHaveCount(0);
  // The heading takes the focus, so a screen reader reads the outcome, and
  // the outcome is said once.
  await expect(otp.page.getByRole('heading', { level: 2 })).toBeFocused();
  expect((await otp.page.locator('main').innerText()).match(/verified/gi)).toHaveLength(1);
  await shot('verified');

  // The page uses nothing its Content-Security-Policy forbids and logs
  // nothing alarming on the way (the CSP and uncaught-error checks run for
  // every test; this one also wants a silent console). The page declares an
  // empty icon, so the browser asks for no /favicon.ico to log a 404 about.
  expect(browserLog.console, 'console errors and warnings').toEqual([]);
});

test('the page is served with its security headers', async ({ request }) => {
  const response = await request.get('/');
  expect(response.status()).toBe(200);
  const headers = response.headers();
  expect(headers['content-security-policy']).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
});
