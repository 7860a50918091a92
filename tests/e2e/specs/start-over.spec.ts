import { test, expect } from '../support/fixtures';
import { Inbox, otherCode } from '../support/mail';

test('a code used up by wrong tries leads back to the start with the address kept', async ({
  otp,
  request,
  shot,
}) => {
  const inbox = Inbox.fresh(request);
  const address = inbox.address;
  await otp.open();
  const flowId = await otp.sendCodeTo(address);
  const code = await inbox.nextCode();

  // Someone else guesses against the same flow until it is dead.
  const wrong = otherCode(code);
  for (let left = 4; left >= 0; left--) {
    const r = await request.post('/api/otp/verify', { data: { flow_id: flowId, code: wrong } });
    expect(r.status()).toBe(422);
    expect((await r.json()).error).toMatchObject({ code: 'wrong_code', attempts_left: left });
  }

  // Now even the right code cannot open it; the page says why and starts over.
  await otp.typeCode(code);
  await expect(otp.error).toHaveText('Too many wrong tries for this code. Ask for a new one.');
  await expect(otp.emailInput).toHaveValue(address);
  await expect(otp.codeInput).toHaveCount(0);
  await expect(otp.sendButton).toBeEnabled();
  await shot('start-over');

  // Starting over is one click: a new flow, a new mail, verified.
  await otp.sendCodeTo(address);
  const newCode = await inbox.nextCode();
  await otp.pasteCode(newCode);
  await expect(otp.verified).toContainText(address);
});

test('an expired code says so and offers to start over with the address kept', async ({
  otp,
  page,
  request,
}) => {
  const address = Inbox.fresh(request).address;
  // Waiting out the real expiry takes minutes; answer the verify call the
  // way the service does once the code has expired.
  await page.route('**/api/otp/verify', (route) =>
    route.fulfill({
      status: 410,
      contentType: 'application/json',
      body: JSON.stringify({
        error: { code: 'expired', message: 'This code has expired. Ask for a new one.' },
      }),
    }),
  );
  await otp.open();
  await otp.sendCodeTo(address);
  await otp.typeCode('123456');

  await expect(otp.error).toHaveText('This code has expired. Ask for a new one.');
  await expect(otp.emailInput).toHaveValue(address);
  await expect(otp.emailInput).toBeEditable();
  await expect(otp.sendButton).toBeEnabled();
});
