import { test, expect } from '../support/fixtures';
import { audit } from '../support/axe';
import { Inbox } from '../support/mail';

/**
 * The automated WCAG 2.2 A/AA audit (axe-core) of every screen the page can
 * show: the address, the code (also after a wrong one), verified, an app's
 * named sign-in, and a sign-in that is over; signed in on a visit,
 * "Continue" to an app, and a logout an app asked for; in English, and in
 * Arabic (right to left).
 */
const app = process.env.OTP_E2E_APP_URL;
if (!app) throw new Error('OTP_E2E_APP_URL is not set: run the tests with tests/e2e/run');

for (const [lang, continueTo] of [
  ['en', 'Continue to Example Shop'],
  ['ar', 'المتابعة إلى Example Shop'],
]) {
  test.describe(lang, () => {
    test.use({ locale: lang });

    test('the verification screens pass the WCAG audit', async ({ otp, page, request }) => {
      const inbox = Inbox.fresh(request);
      await otp.open();
      await expect(page.locator('html')).toHaveAttribute('lang', lang);
      await audit(page, 'address');

      await otp.sendCodeTo(inbox.address);
      await expect(otp.codeInput).toBeFocused();
      await audit(page, 'code');

      const code = await inbox.nextCode();
      const wrong = code === '000000' ? '111111' : '000000';
      await otp.typeCode(wrong);
      await expect(otp.error).toBeVisible();
      await audit(page, 'code, after a wrong code');

      await otp.codeInput.fill('');
      await otp.typeCode(code);
      await expect(otp.verified).toContainText(inbox.address);
      await audit(page, 'verified');
    });

    test("an app's sign-in screens pass the WCAG audit", async ({ otp, page }) => {
      await page.goto(`${app}/login`);
      await expect(otp.heading).toHaveText(continueTo);
      await audit(page, 'sign-in');

      await page.goto('/?sign_in=AAAAAAAAAAAAAAAAAAAAAA');
      await expect(otp.error).toBeVisible();
      await audit(page, 'sign-in over');
    });

    test("the session's screens pass the WCAG audit", async ({ otp, page, request }) => {
      const inbox = Inbox.fresh(request);
      await otp.signInWithCode(inbox);
      await page.goto('/');
      await expect(otp.signedIn).toContainText(inbox.address);
      await audit(page, 'signed in');

      await page.goto(`${app}/login`);
      await expect(otp.continueButton).toBeFocused();
      await audit(page, 'continue');

      await page.goto('/logout?client_id=example-shop');
      await expect(otp.confirmLogoutButton).toBeFocused();
      await audit(page, 'logout');
    });
  });
}
