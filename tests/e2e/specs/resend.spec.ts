import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';

test('after sending, the focus is in the code field and the resend button counts down', async ({
  otp,
  request,
}) => {
  await otp.open();
  await otp.sendCodeTo(Inbox.fresh(request).address);

  // The person's next step is the code: the focus is already there.
  await expect(otp.codeInput).toBeFocused();
  await expect(otp.resendButton).toBeDisabled();
  await expect(otp.resendButton).toHaveText(/^Resend code in \d+ s$/);
  const first = await otp.resendWaitSeconds();
  // The service's default wait is a minute; a few seconds may have passed.
  expect(first).toBeGreaterThan(50);
  expect(first).toBeLessThanOrEqual(60);
  // The number goes down while the page is open, and the button stays off.
  await expect.poll(() => otp.resendWaitSeconds(), { timeout: 3_000 }).toBeLessThan(first!);
  await expect(otp.resendButton).toBeDisabled();
  await expect(otp.codeInput).toBeFocused();
});

test.describe('with a short resend wait', () => {
  const url = process.env.OTP_E2E_FAST_RESEND_URL;
  const wait = Number(process.env.OTP_E2E_FAST_RESEND_SECS);
  test.skip(!url, 'OTP_E2E_FAST_RESEND_URL is not set: run the tests with tests/e2e/run');
  test.use({ baseURL: url });

  test('the resent email carries the same code, and the code of the first email verifies', async ({
    otp,
    request,
  }) => {
    const inbox = Inbox.fresh(request);
    await otp.open();
    await otp.sendCodeTo(inbox.address);
    await expect(otp.resendButton).toHaveText(/^Resend code in \d+ s$/);
    expect(await otp.resendWaitSeconds()).toBeLessThanOrEqual(wait);
    const first = await inbox.nextCode();

    await expect(otp.resendButton).toHaveText('Resend code', { timeout: (wait + 2) * 1000 });
    await expect(otp.resendButton).toBeEnabled();
    await otp.resendButton.click();
    await expect(otp.status).toContainText('Sent again. The code stays the same until it expires.');
    await expect(otp.resendButton).toBeDisabled();
    await expect(otp.resendButton).toHaveText(/^Resend code in \d+ s$/);
    expect(await inbox.nextCode()).toBe(first);

    // The first email arrived last, say: its code is the one typed.
    await otp.typeCode(first);
    await expect(otp.verified).toContainText(inbox.address);
  });
});

test('"Change address" goes back with the address kept and sends to the new one', async ({
  otp,
  request,
}) => {
  const first = Inbox.fresh(request);
  const second = Inbox.fresh(request);
  await otp.open();
  await otp.sendCodeTo(first.address);

  await otp.changeEmailButton.click();
  await expect(otp.emailInput).toHaveValue(first.address);
  await expect(otp.codeInput).toHaveCount(0);

  await otp.sendCodeTo(second.address);
  await expect(otp.page.getByText(`We sent a code to ${second.address}`)).toBeVisible();
  await otp.typeCode(await second.nextCode());
  await expect(otp.verified).toContainText(second.address);
});
