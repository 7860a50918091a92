import { test, expect } from '../support/fixtures';
import { Inbox, otherCode } from '../support/mail';

/** The server's resend cooldown, as tests/e2e/run configured it. */
const cooldown = Number(process.env.OTP_E2E_RESEND_COOLDOWN_SECS ?? '60');

test('the resend button counts down, then sends a new code that replaces the old one', async ({
  otp,
  request,
}) => {
  const inbox = Inbox.fresh(request);
  await otp.open();
  await otp.sendCodeTo(inbox.address);

  // After sending, the person's next step is the code: the focus is there.
  await expect(otp.codeInput).toBeFocused();
  await expect(otp.resendButton).toBeDisabled();
  await expect(otp.resendButton).toHaveText(/^Resend code in \d+ s$/);
  const first = await otp.resendWaitSeconds();
  expect(first).not.toBeNull();
  expect(first!).toBeGreaterThan(0);
  expect(first!).toBeLessThanOrEqual(cooldown);
  // The number goes down while the page is open.
  await expect.poll(() => otp.resendWaitSeconds(), { timeout: 3_000 }).toBeLessThan(first!);
  await expect(otp.resendButton).toBeDisabled();

  const oldCode = await inbox.nextCode();

  // When the wait is over the button says so and works.
  await expect(otp.resendButton).toHaveText('Resend code', { timeout: (cooldown + 2) * 1000 });
  await expect(otp.resendButton).toBeEnabled();
  await otp.resendButton.click();
  await expect(otp.status).toContainText('A new code is on its way. Use the newest email.');
  await expect(otp.resendButton).toBeDisabled();
  await expect(otp.resendButton).toHaveText(/^Resend code in \d+ s$/);

  const newCode = await inbox.nextCode();

  // The old code no longer opens the flow (unless the new one happens to be equal).
  if (newCode !== oldCode) {
    await otp.typeCode(oldCode);
    await expect(otp.error).toHaveText('That code is not right. 4 tries left.');
  } else {
    await otp.typeCode(otherCode(oldCode));
    await expect(otp.error).toContainText('tries left');
  }
  await otp.typeCode(newCode);
  await expect(otp.verified).toContainText(inbox.address);
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
