import { expect, type Locator, type Page } from '@playwright/test';
import type { Inbox } from '../support/mail';

/**
 * The verification page as a person uses it: type an address, get a code,
 * type or paste it. Elements are found by their `data-testid`, so wording
 * and layout can change without touching the tests that do not check them.
 */
export class OtpPage {
  readonly emailInput: Locator;
  readonly sendButton: Locator;
  readonly codeInput: Locator;
  readonly verifyButton: Locator;
  readonly resendButton: Locator;
  readonly changeEmailButton: Locator;
  readonly retryButton: Locator;
  readonly status: Locator;
  readonly error: Locator;
  readonly verified: Locator;
  /** The bar that follows the device's proof of work, while it runs. */
  readonly checkProgress: Locator;
  /** Back to the app without signing in; shown while an app waits. */
  readonly cancelButton: Locator;
  /** The page's heading: "Continue to {app}" when an app asked. */
  readonly heading: Locator;
  /** The Signed in screen of a visit: "Signed in as {email}" and its choices. */
  readonly signedIn: Locator;
  readonly signOutButton: Locator;
  readonly signOutEverywhereButton: Locator;
  readonly anotherAddressButton: Locator;
  /** On an app's sign-in with a session: finishes it without a code. */
  readonly continueButton: Locator;
  /** On the Continue and logout screens: who is signed in ("as {email}"). */
  readonly who: Locator;
  /** On a logout an app asked for: "Sign out" and "Stay signed in". */
  readonly confirmLogoutButton: Locator;
  readonly staySignedInButton: Locator;

  constructor(readonly page: Page) {
    const id = (testId: string) => page.getByTestId(testId);
    this.emailInput = id('email-input');
    this.sendButton = id('send-button');
    this.codeInput = id('code-input');
    this.verifyButton = id('verify-button');
    this.resendButton = id('resend-button');
    this.changeEmailButton = id('change-email-button');
    this.retryButton = id('retry-button');
    this.status = id('status');
    this.error = id('error');
    this.verified = id('verified');
    this.checkProgress = id('check-progress');
    this.cancelButton = id('cancel-button');
    this.heading = page.getByRole('heading', { level: 1 });
    this.signedIn = id('signed-in');
    this.signOutButton = id('sign-out-button');
    this.signOutEverywhereButton = id('sign-out-everywhere-button');
    this.anotherAddressButton = id('another-address-button');
    this.continueButton = id('continue-button');
    this.who = page.locator('#who');
    this.confirmLogoutButton = id('confirm-logout-button');
    this.staySignedInButton = id('stay-signed-in-button');
  }

  /** Opens the page and waits until the WebAssembly app has drawn the first screen. */
  async open(): Promise<void> {
    await this.page.goto('/');
    await expect(this.emailInput).toBeVisible();
  }

  /**
   * Asks for a code for `address` and waits for the code screen. Returns the
   * flow id the service answered with, for tests that also talk to the API.
   */
  async sendCodeTo(address: string): Promise<string> {
    await this.emailInput.fill(address);
    const sent = this.page.waitForResponse(
      (r) => r.url().endsWith('/api/otp/send') && r.request().method() === 'POST',
    );
    await this.sendButton.click();
    const response = await sent;
    expect(response.status(), await response.text()).toBe(202);
    await expect(this.codeInput).toBeVisible();
    return ((await response.json()) as { flow_id: string }).flow_id;
  }

  /**
   * Signs in on the plain page with the code mailed to `inbox`'s address
   * and waits for the Verified screen, which says who is signed in.
   */
  async signInWithCode(inbox: Inbox): Promise<void> {
    await this.open();
    await this.sendCodeTo(inbox.address);
    await this.typeCode(await inbox.nextCode());
    await expect(this.verified).toContainText(inbox.address);
  }

  /** Types `address` and asks for a code, without waiting for the outcome. */
  async askForCode(address: string): Promise<void> {
    await this.emailInput.fill(address);
    await this.sendButton.click();
  }

  /** Types the code key by key, as a person copying it from another screen does. */
  async typeCode(code: string): Promise<void> {
    await this.codeInput.pressSequentially(code, { delay: 20 });
  }

  /**
   * Pastes `text` into the code field through the real clipboard and the
   * paste shortcut, so the page sees exactly what a browser paste produces.
   */
  async pasteCode(text: string): Promise<void> {
    await this.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await this.codeInput.focus();
    await this.page.evaluate((t) => navigator.clipboard.writeText(t), text);
    await this.page.keyboard.press('ControlOrMeta+V');
  }

  /** The whole seconds the resend button still asks to wait, or null if it does not. */
  async resendWaitSeconds(): Promise<number | null> {
    const label = (await this.resendButton.textContent()) ?? '';
    const match = /in (\d+) s\b/.exec(label);
    return match ? Number(match[1]) : null;
  }

  /** How wide the page's content is; wider than the window means it scrolls sideways. */
  async contentWidth(): Promise<number> {
    return this.page.evaluate(() => (document.scrollingElement ?? document.documentElement).scrollWidth);
  }
}
