import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';

/**
 * Signing in to an app: "Example Shop" (tests/e2e/rp/server.mjs, an OpenID
 * Connect client through openid-client) sends the person to the service,
 * whose page names the app, and gets them back with a code it redeems for
 * an ID token that the library checks (signature, issuer, audience, nonce).
 */
const app = process.env.OTP_E2E_APP_URL;
if (!app) throw new Error('OTP_E2E_APP_URL is not set: run the tests with tests/e2e/run');

const EXPIRED = 'This sign-in has expired or is finished. Go back to the app and start again.';

/** Readable addresses for the screenshots, one per project (they run side by side). */
function shopper(project: string): string {
  return project === 'mobile' ? 'grace@shop.example' : 'ada@shop.example';
}

test('a person signs in to an app with the code from the email', async ({ otp, page, request, shot }, testInfo) => {
  // The phone screenshot is of a small phone.
  const width = testInfo.project.name === 'mobile' ? 320 : undefined;
  if (width) await page.setViewportSize({ width, height: 640 });
  const address = shopper(testInfo.project.name);
  const inbox = await Inbox.open(request, address);

  await page.goto(app);
  await page.getByRole('link', { name: 'Sign in' }).click();

  // The service's page, named for the app, before anything is typed.
  await expect(page).toHaveURL(/\/\?sign_in=[\w-]{22}$/);
  await expect(otp.heading).toHaveText('Continue to Example Shop');
  await expect(otp.emailInput).toBeFocused();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeVisible();
  if (width) {
    expect(await otp.contentWidth(), 'page width').toBeLessThanOrEqual(width);
    for (const control of [otp.emailInput, otp.sendButton, otp.cancelButton]) {
      await expect(control).toBeInViewport();
    }
  }
  await otp.emailInput.fill(address);
  await shot('sign-in');

  await otp.sendButton.click();
  await expect(otp.codeInput).toBeFocused();
  await expect(otp.heading).toHaveText('Continue to Example Shop');
  await otp.typeCode(await inbox.nextCode());

  // Back at the app, which redeemed the code and read the verified address
  // from the ID token.
  await expect(page.getByTestId('signed-in')).toBeVisible();
  expect(page.url().startsWith(`${app}/callback?`)).toBe(true);
  await expect(page.getByTestId('email')).toHaveText(address);
  await shot('signed-in');
});

test('the address the app suggests is filled in', async ({ otp, page }) => {
  await page.goto(`${app}/login?login_hint=${encodeURIComponent('hint@shop.example')}`);
  await expect(otp.heading).toHaveText('Continue to Example Shop');
  await expect(otp.emailInput).toHaveValue('hint@shop.example');
});

test('Cancel goes back to the app, which learns the person declined', async ({ otp, page }) => {
  await page.goto(`${app}/login`);
  await expect(otp.heading).toHaveText('Continue to Example Shop');
  const signIn = page.url();
  await otp.cancelButton.click();

  await expect(page.getByTestId('error-code')).toHaveText('access_denied');
  expect(page.url().startsWith(`${app}/callback?`)).toBe(true);

  // The same sign-in cannot be used again: the page says so, with no form.
  await page.goto(signIn);
  await expect(otp.error).toHaveText(EXPIRED);
  await expect(otp.emailInput).toHaveCount(0);
  await expect(otp.cancelButton).toHaveCount(0);
});

test('an unknown sign-in says it is over and shows no form', async ({ otp, page }) => {
  await page.goto('/?sign_in=AAAAAAAAAAAAAAAAAAAAAA');
  await expect(otp.error).toHaveText(EXPIRED);
  await expect(otp.error).toHaveAttribute('role', 'alert');
  await expect(otp.status).toHaveAttribute('aria-live', 'polite');
  await expect(otp.heading).toHaveText('Verify your email');
  await expect(otp.emailInput).toHaveCount(0);
  await expect(otp.sendButton).toHaveCount(0);
  await expect(otp.cancelButton).toHaveCount(0);
});

test('without a sign-in there is no Cancel', async ({ otp }) => {
  await otp.open();
  await expect(otp.heading).toHaveText('Verify your email');
  await expect(otp.cancelButton).toHaveCount(0);
});
