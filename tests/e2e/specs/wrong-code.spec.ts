import { test, expect } from '../support/fixtures';
import { Inbox, otherCode } from '../support/mail';

test('a wrong code says how many tries are left and the right one still works', async ({
  otp,
  request,
  shot,
}) => {
  const inbox = Inbox.fresh(request);
  const address = inbox.address;
  await otp.open();
  await otp.sendCodeTo(address);
  const code = await inbox.nextCode();

  // Six digits submit by themselves; no click needed.
  await otp.typeCode(otherCode(code));

  await expect(otp.error).toHaveText('That code is not right. 4 tries left.');
  await expect(otp.page.getByRole('alert')).toHaveText('That code is not right. 4 tries left.');
  // The error sits right under the field, between it and Verify, and is the
  // field's description; the count is said once.
  await expect(otp.codeInput).toHaveAttribute('aria-describedby', 'status');
  await expect(otp.page.locator('#status')).toHaveText('That code is not right. 4 tries left.');
  const [field, error, verify] = await Promise.all(
    [otp.codeInput, otp.error, otp.verifyButton].map((l) => l.boundingBox()),
  );
  expect(error!.y).toBeGreaterThan(field!.y + field!.height - 1);
  expect(error!.y + error!.height).toBeLessThan(verify!.y + 1);
  expect((await otp.page.locator('main').innerText()).match(/tries left/g)).toHaveLength(1);
  // The field is emptied for the next try and stays usable, with the focus in it.
  await expect(otp.codeInput).toHaveValue('');
  await expect(otp.codeInput).toBeEditable();
  await expect(otp.codeInput).toBeFocused();
  await expect(otp.verifyButton).toBeDisabled();
  await shot('wrong-code');

  await otp.typeCode(otherCode(otherCode(code)));
  await expect(otp.error).toHaveText('That code is not right. 3 tries left.');

  await otp.typeCode(code);
  await expect(otp.verified).toContainText(address);
});

test('a code with a dash is accepted and five digits are not enough', async ({ otp, request }) => {
  const inbox = Inbox.fresh(request);
  const address = inbox.address;
  await otp.open();
  await otp.sendCodeTo(address);
  const code = await inbox.nextCode();

  // Five digits: not enough to submit, so the button stays off.
  await otp.codeInput.fill(code.slice(0, 5));
  await expect(otp.verifyButton).toBeDisabled();
  await expect(otp.verified).toHaveCount(0);

  // A full code typed into the field in one go ("fill" sets the whole value,
  // as an autofill from the mail app does).
  await otp.codeInput.fill(`${code.slice(0, 3)}-${code.slice(3)}`);
  await expect(otp.verified).toContainText(address);
});
