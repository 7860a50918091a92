import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';

test('the fields have labels and the status region is announced', async ({ otp, page, request }) => {
  await otp.open();
  await expect(page).toHaveTitle('Verify your email');
  // What a search engine shows under the title.
  await expect(page.locator('meta[name="description"]')).toHaveAttribute(
    'content',
    'Verify your email address with a one-time code sent to your inbox.',
  );
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Verify your email');
  await expect(otp.status).toHaveAttribute('aria-live', 'polite');
  await expect(page.getByLabel('Email address')).toHaveAttribute('data-testid', 'email-input');
  await expect(page.getByRole('button', { name: 'Send code' })).toBeVisible();

  await otp.sendCodeTo(Inbox.fresh(request).address);
  await expect(page.getByLabel('6-digit code')).toHaveAttribute('data-testid', 'code-input');
  await expect(otp.codeInput).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(otp.codeInput).toHaveAttribute('inputmode', 'numeric');
  // The confirmation is announced from inside the live region.
  await expect(otp.status.getByText(/^Code sent\./)).toBeVisible();
});

test('the whole story works with the keyboard alone', async ({ otp, page, request }) => {
  const inbox = Inbox.fresh(request);
  await otp.open();
  await expect(otp.emailInput).toBeFocused();
  await page.keyboard.type(inbox.address);
  await page.keyboard.press('Enter');

  await expect(otp.codeInput).toBeFocused();
  await page.keyboard.type(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
});

for (const width of [375, 320]) {
  test(`every screen fits ${width} px without sideways scrolling`, async ({ otp, page, request }) => {
    await page.setViewportSize({ width, height: 640 });
    const inbox = Inbox.fresh(request);
    await otp.open();
    expect(await otp.contentWidth(), 'email screen width').toBeLessThanOrEqual(width);
    await expect(otp.sendButton).toBeInViewport();

    await otp.sendCodeTo(inbox.address);
    expect(await otp.contentWidth(), 'code screen width').toBeLessThanOrEqual(width);
    for (const control of [otp.codeInput, otp.verifyButton, otp.resendButton, otp.changeEmailButton]) {
      await expect(control).toBeInViewport();
    }

    await otp.typeCode(await inbox.nextCode());
    await expect(otp.verified).toBeVisible();
    expect(await otp.contentWidth(), 'verified screen width').toBeLessThanOrEqual(width);
  });
}
