import type { CDPSession, Page } from '@playwright/test';
import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';

/**
 * Passkeys with Chromium's virtual authenticator (the DevTools protocol's
 * WebAuthn domain: CTAP2, internal transport, resident keys, user
 * verification), on the server at localhost: an IP address is no WebAuthn
 * relying party. The first sign-in costs one mail and offers a passkey;
 * every later one, on the page or in an app, costs none.
 */
const base = process.env.OTP_E2E_PASSKEY_URL;
const app = process.env.OTP_E2E_PASSKEY_APP_URL;
if (!base || !app) throw new Error('OTP_E2E_PASSKEY_URL is not set: run the tests with tests/e2e/run');
test.use({ baseURL: base });

/**
 * A platform authenticator for `page`, empty, answering at once; its
 * passkeys are synced ones (backup eligible and backed up), as a password
 * manager's are.
 */
async function authenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      defaultBackupEligibility: true,
      defaultBackupState: true,
    },
  });
  return { cdp, id: authenticatorId };
}

/**
 * A browser without passkeys in its autofill (conditional mediation), as
 * some still are: only the button signs in with one. (Chromium's virtual
 * authenticator answers an autofill request at once, which would sign the
 * person in before the button could be pressed.)
 */
async function withoutAutofill(page: Page): Promise<void> {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

async function credentials(key: { cdp: CDPSession; id: string }) {
  const { credentials } = await key.cdp.send('WebAuthn.getCredentials', { authenticatorId: key.id });
  return credentials;
}

test('a code, then a passkey: signing in again with the button needs no mail', async ({ otp, page, request, shot }) => {
  await withoutAutofill(page);
  const key = await authenticator(page);
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);

  // Offered once, right after the code.
  const offer = page.getByTestId('passkey-offer');
  await expect(offer).toBeVisible();
  await expect(offer).toContainText('Sign in faster next time with a passkey');
  await shot('passkey-offer');
  await offer.getByTestId('passkey-create').click();
  await expect(offer).toHaveCount(0);
  await expect.poll(async () => (await credentials(key)).length).toBe(1);
  const [created] = await credentials(key);
  expect(created.isResidentCredential).toBe(true);

  // The list shows it.
  await page.getByTestId('passkeys-button').click();
  const list = page.getByTestId('passkeys');
  await expect(list.getByTestId('passkey')).toHaveCount(1);
  await shot('passkeys');
  await list.getByTestId('passkeys-close').click();

  // Signed out, back with the button: no new mail.
  await otp.signOutButton.click();
  await expect(otp.emailInput).toBeVisible();
  await expect(otp.emailInput).toHaveAttribute('autocomplete', 'email webauthn');
  const mails = await inbox.count();
  await page.getByTestId('passkey-button').click();
  await expect(otp.signedIn).toContainText(`Signed in as ${inbox.address}`);
  expect(await inbox.count()).toBe(mails);

  // A new visit does not offer again: the next code asks nothing.
  await otp.signOutButton.click();
  await otp.sendCodeTo(inbox.address);
  await otp.typeCode(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
  await expect(offer).toHaveCount(0);
});

test('the email field offers the passkey (conditional mediation)', async ({ otp, page, request }) => {
  const key = await authenticator(page);
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  await page.getByTestId('passkey-create').click();
  await expect.poll(async () => (await credentials(key)).length).toBe(1);
  await expect(otp.emailInput).toHaveCount(0);
  const mails = await inbox.count();
  await otp.signOutButton.click();

  // Signed out, the Email screen's field asks the browser for its passkeys
  // as it is shown; the virtual authenticator answers with the one it
  // holds, as a person picking it from the field's suggestions would.
  await expect(otp.signedIn).toContainText(`Signed in as ${inbox.address}`, { timeout: 15_000 });
  expect(await inbox.count()).toBe(mails);
});

test("an app's sign-in completed by a passkey: the ID token says so", async ({ otp, page, request, browser }) => {
  // The passkey, made after a first code.
  const key = await authenticator(page);
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  await page.getByTestId('passkey-create').click();
  await expect.poll(async () => (await credentials(key)).length).toBe(1);
  const [passkey] = await credentials(key);

  // Another browser with the same (synced) passkey and no session.
  const context = await browser.newContext();
  const other = await context.newPage();
  const synced = await authenticator(other);
  await synced.cdp.send('WebAuthn.addCredential', { authenticatorId: synced.id, credential: passkey });
  const mails = await inbox.count();
  await other.goto(app);
  // The sign-in page's email field offers the passkey; taking it brings the
  // person back to the app.
  await other.getByRole('link', { name: 'Sign in' }).click();
  await expect(other.getByTestId('signed-in')).toBeVisible();
  await expect(other.getByTestId('email')).toHaveText(inbox.address);
  await expect(other.getByTestId('amr')).toHaveText('swk user mfa');
  expect(await inbox.count()).toBe(mails);
  await context.close();
});

test('"Not now" is remembered on this device', async ({ otp, page, request }) => {
  await authenticator(page);
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  await page.getByTestId('passkey-not-now').click();
  await expect(page.getByTestId('passkey-offer')).toHaveCount(0);
  await otp.signOutButton.click();
  await otp.sendCodeTo(inbox.address);
  await otp.typeCode(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
  await expect(page.getByTestId('passkey-offer')).toHaveCount(0);
});

test('removing a passkey: it signs no one in any more', async ({ otp, page, request }) => {
  await withoutAutofill(page);
  const key = await authenticator(page);
  const inbox = Inbox.fresh(request);
  await otp.signInWithCode(inbox);
  await page.getByTestId('passkey-create').click();
  await expect.poll(async () => (await credentials(key)).length).toBe(1);

  await page.getByTestId('passkeys-button').click();
  const list = page.getByTestId('passkeys');
  await expect(list.getByTestId('passkey')).toHaveCount(1);
  await list.getByTestId('passkey-remove').click();
  await expect(list.getByTestId('passkey')).toHaveCount(0);
  await list.getByTestId('passkeys-close').click();

  // The authenticator still holds it; the service refuses it: the code remains.
  await otp.signOutButton.click();
  await page.getByTestId('passkey-button').click();
  await expect(otp.emailInput).toBeFocused();
  await expect(otp.signedIn).toHaveCount(0);
});

test('an authenticator without a passkey falls back to the code', async ({ otp, page, request }) => {
  await authenticator(page);
  const inbox = Inbox.fresh(request);
  await otp.open();
  await page.getByTestId('passkey-button').click();
  await expect(otp.emailInput).toBeFocused();
  await otp.sendCodeTo(inbox.address);
  await otp.typeCode(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
});

test('on 127.0.0.1, an IP address, the page offers no passkey and nothing fails', async ({ otp, page, request }) => {
  await authenticator(page);
  await page.goto(base.replace('//localhost:', '//127.0.0.1:'));
  await expect(otp.emailInput).toBeVisible();
  await expect(page.getByTestId('passkey-button')).toBeHidden();
  const inbox = Inbox.fresh(request);
  await otp.sendCodeTo(inbox.address);
  await otp.typeCode(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
  await expect(page.getByTestId('passkey-offer')).toHaveCount(0);
  await expect(page.getByTestId('passkeys-button')).toBeHidden();
});
