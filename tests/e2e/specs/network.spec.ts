import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';

test('when the service cannot be reached, "Try again" repeats the very same request', async ({
  otp,
  page,
  request,
}) => {
  const inbox = Inbox.fresh(request);
  const bodies: string[] = [];
  // The first send never gets an answer, as on a dropped mobile connection.
  await page.route('**/api/otp/send', async (route) => {
    bodies.push(route.request().postData() ?? '');
    if (bodies.length === 1) await route.abort('connectionrefused');
    else await route.continue();
  });
  await otp.open();
  await otp.emailInput.fill(inbox.address);
  await otp.sendButton.click();

  await expect(otp.error).toHaveText(
    'The service could not be reached. Check your connection, then try again.',
  );
  await expect(otp.emailInput).toHaveValue(inbox.address);
  await otp.retryButton.click();
  await expect(otp.codeInput).toBeVisible();
  await expect(otp.retryButton).toHaveCount(0);

  // Same idempotency key: had the first send reached the service, the retry
  // would not have made a second flow or a second email.
  expect(bodies).toHaveLength(2);
  const [first, second] = bodies.map((b) => JSON.parse(b));
  expect(first.request_id).toMatch(/^[0-9a-f]{32}$/);
  expect(second).toEqual(first);

  await otp.typeCode(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
});
