import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page, Request } from '@playwright/test';
import { test, expect } from '../support/fixtures';
import { Inbox, readableAddress } from '../support/mail';

/**
 * The page in the person's language: chosen from the app's `ui_locales`, the
 * person's pick on the device, the browser's languages; German and Arabic
 * (right to left) through the whole story; the menu; a pseudo-language
 * 40 % longer than English on a 320 px phone.
 */
const app = process.env.OTP_E2E_APP_URL;
if (!app) throw new Error('OTP_E2E_APP_URL is not set: run the tests with tests/e2e/run');
const root = process.env.OTP_E2E_ROOT ?? path.resolve(__dirname, '../../..');

/** The `locale` the page asked the code mail to be written in. */
async function mailLocale(sent: Promise<Request>): Promise<string | undefined> {
  return ((await sent).postDataJSON() as { locale?: string }).locale;
}

function sendRequest(page: Page): Promise<Request> {
  return page.waitForRequest((r) => r.url().endsWith('/api/otp/send') && r.method() === 'POST');
}

/** Every element with text (and the document) fits its box: nothing scrolls sideways, nothing is cut. */
async function expectNothingOverflows(page: Page, screen: string): Promise<void> {
  const overflowing = await page.evaluate(() => {
    const found: string[] = [];
    const doc = document.scrollingElement ?? document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) found.push(`document: ${doc.scrollWidth} > ${doc.clientWidth}`);
    for (const el of Array.from(document.body.querySelectorAll<HTMLElement>('*'))) {
      const text = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      if (text && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline') {
        found.push(`${el.tagName.toLowerCase()} "${el.textContent!.trim().slice(0, 40)}": ${el.scrollWidth} > ${el.clientWidth}`);
      }
    }
    return found;
  });
  expect(overflowing, `overflow on the ${screen} screen`).toEqual([]);
}

/** The Arabic-Indic digits (٠-٩) for an ASCII code, as an Arabic keyboard types them. */
function arabicIndic(code: string): string {
  return code.replace(/\d/g, (d) => String.fromCharCode(0x660 + Number(d)));
}

test.describe('a German browser', () => {
  test.use({ locale: 'de-DE' });

  test('gets the whole story in German, and the mail is asked for in German', async ({ otp, page, request }) => {
    const inbox = Inbox.fresh(request);
    const address = inbox.address;
    await otp.open();
    await expect(otp.heading).toHaveText('Bestätigen Sie Ihre E-Mail-Adresse');
    await expect(page.locator('html')).toHaveAttribute('lang', 'de');
    await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
    await expect(page).toHaveTitle('Bestätigen Sie Ihre E-Mail-Adresse');
    await expect(page.getByLabel('E-Mail-Adresse')).toBeVisible();

    const sent = sendRequest(page);
    await otp.sendCodeTo(address);
    expect(await mailLocale(sent)).toBe('de');
    await expect(page.getByText(`Wir haben einen Code an ${address} gesendet.`)).toBeVisible();
    await expect(otp.status).toContainText('Code gesendet. Er ist 10 Minuten gültig.');
    await expect(otp.resendButton).toContainText(/^Code erneut senden/);

    await otp.typeCode(await inbox.nextCode());
    await expect(otp.verified).toContainText(`Angemeldet als ${address}`);
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('E-Mail-Adresse bestätigt');
  });
});

test.describe('an Arabic browser', () => {
  test.use({ locale: 'ar' });

  test('gets the page right to left, and the code field left to right takes Arabic-Indic digits', async ({ otp, page, request }) => {
    await page.setViewportSize({ width: 320, height: 640 });
    const inbox = Inbox.fresh(request);
    const address = inbox.address;
    await otp.open();
    await expect(otp.heading).toHaveText('تأكيد البريد الإلكتروني');
    await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
    await expect(page.locator('html')).toHaveAttribute('lang', 'ar');
    // The layout mirrors: the heading's text sits against the right edge.
    const heading = await otp.heading.evaluate((h) => {
      const range = document.createRange();
      range.selectNodeContents(h);
      const text = range.getBoundingClientRect();
      const box = h.getBoundingClientRect();
      return { textLeft: text.left, textRight: text.right, left: box.left, right: box.right };
    });
    expect(Math.abs(heading.textRight - heading.right)).toBeLessThanOrEqual(1);
    expect(heading.textLeft).toBeGreaterThan(heading.left);
    await expect(otp.emailInput).toHaveAttribute('dir', 'ltr');
    await expectNothingOverflows(page, 'address');

    const sent = sendRequest(page);
    await otp.sendCodeTo(address);
    expect(await mailLocale(sent)).toBe('ar');
    await expect(otp.codeInput).toHaveAttribute('dir', 'ltr');
    expect(await otp.codeInput.evaluate((i) => getComputedStyle(i).direction)).toBe('ltr');
    // Numbers as Arabic writes them, from the browser's Intl.
    const ten = await page.evaluate(() => new Intl.NumberFormat('ar').format(10));
    await expect(otp.status).toContainText(`${ten} دقائق`);
    await expectNothingOverflows(page, 'code');

    await otp.typeCode(arabicIndic(await inbox.nextCode()));
    await expect(otp.verified).toContainText(address);
    await expect(page.getByRole('heading', { level: 2 })).toHaveText('تم تأكيد البريد الإلكتروني');
    await expectNothingOverflows(page, 'verified');
  });
});

test.describe('a browser whose languages are fr-CA, en', () => {
  test.use({ locale: 'fr-CA' });

  test('gets French', async ({ otp, page }) => {
    await page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'languages', { get: () => ['fr-CA', 'en'] });
    });
    await otp.open();
    await expect(otp.heading).toHaveText('Vérifiez votre adresse e-mail');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(page.getByTestId('language-select')).toHaveValue('fr');
  });
});

test('the menu changes the language, keeps what was typed, and is remembered', async ({ otp, page, request }) => {
  const inbox = Inbox.fresh(request);
  await otp.open();
  await expect(otp.heading).toHaveText('Verify your email');
  const menu = page.getByTestId('language-select');
  await expect(menu).toHaveValue('en');
  await expect(page.getByLabel('Language')).toBeVisible();
  // Each language named in itself, marked as written in it.
  await expect(menu.locator('option[value="ja"]')).toHaveAttribute('lang', 'ja');
  await expect(menu.locator('option[value="ja"]')).toHaveText('日本語');

  await otp.emailInput.fill(inbox.address);
  // As a keyboard user does: the menu has the focus, and keeps it.
  await menu.focus();
  await menu.selectOption('de');
  await expect(otp.heading).toHaveText('Bestätigen Sie Ihre E-Mail-Adresse');
  await expect(page).toHaveTitle('Bestätigen Sie Ihre E-Mail-Adresse');
  await expect(page.getByLabel('Sprache')).toBeVisible();
  await expect(otp.emailInput).toHaveValue(inbox.address);
  await expect(menu).toBeFocused();

  const sent = sendRequest(page);
  await otp.sendButton.click();
  expect(await mailLocale(sent)).toBe('de');
  await expect(otp.codeInput).toBeVisible();
  await otp.codeInput.pressSequentially('123', { delay: 20 });
  await menu.focus();
  await menu.selectOption('ar');
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(otp.codeInput).toHaveValue('123');
  await expect(otp.resendButton).toContainText('إعادة إرسال الرمز');

  // Remembered on the device.
  await page.reload();
  await expect(otp.heading).toHaveText('تأكيد البريد الإلكتروني');
  await expect(menu).toHaveValue('ar');
  await menu.selectOption('en');
  await expect(otp.heading).toHaveText('Verify your email');
  await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(menu).toHaveValue('en');
});

test('a catalog that cannot be fetched leaves the page as it was', async ({ otp, page }) => {
  await page.route('**/i18n-*.json', (route) => route.abort());
  await otp.open();
  await page.getByTestId('language-select').selectOption('ja');
  await expect(page.getByTestId('language-select')).toHaveValue('en');
  await expect(otp.heading).toHaveText('Verify your email');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});

test("an app's ui_locales come first", async ({ otp, page }) => {
  await page.goto(`${app}/login?ui_locales=${encodeURIComponent('xx de-AT en')}`);
  await expect(otp.heading).toHaveText('Weiter zu Example Shop');
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await expect(page.getByRole('button', { name: 'Abbrechen' })).toBeVisible();
});

/**
 * The English catalog (the `## Page` part of locales/en.ftl) as the page
 * reads a catalog, made ~40 % longer and accented: "[Vérîfý ýöûr émåîl ~~~~~ ~~~~~]".
 */
function pseudoCatalog(): unknown[] {
  const ftl = fs.readFileSync(path.join(root, 'locales', 'en.ftl'), 'utf8');
  const page = ftl.split(/^## Page$/m)[1].split(/^## /m)[0];
  const accents: Record<string, string> = {
    a: 'å', e: 'é', i: 'î', o: 'ö', u: 'û', y: 'ý', c: 'ç', n: 'ñ', s: 'š', z: 'ž',
    A: 'Å', E: 'É', I: 'Î', O: 'Ö', U: 'Û', Y: 'Ý', C: 'Ç', N: 'Ñ', S: 'Š', Z: 'Ž',
  };
  const pseudo = (text: string, vars: string[]) => {
    const body = text
      .replace(/\{ *\$([\w-]+) *\}/g, (_, v: string) => `\u0000${vars.indexOf(v)}\u0001`)
      .replace(/[A-Za-z]/g, (c) => accents[c] ?? c)
      .replace(/\u0000(\d+)\u0001/g, '{$1}');
    // Padding in words of five, as a longer language has longer sentences.
    const pad = Array.from({ length: Math.ceil((text.length * 0.4) / 6) }, () => '~~~~~').join(' ');
    return `[${body} ${pad}]`;
  };
  const messages: unknown[] = [];
  for (const block of page.split(/\n(?=[a-z][\w-]* =)/)) {
    const m = /^([a-z][\w-]*) =([\s\S]*)$/.exec(block.trim());
    if (!m) continue;
    const value = m[2].split('\n').filter((l) => !l.startsWith('#')).join('\n');
    const vars = [...new Set([...value.matchAll(/\$([\w-]+)/g)].map((v) => v[1]))];
    const variants = [...value.matchAll(/^\s*\*?\[(\w+)\] (.*)$/gm)];
    if (variants.length) {
      messages.push(Object.fromEntries(variants.map((v) => [v[1], pseudo(v[2], vars)])));
    } else {
      messages.push(pseudo(value.trim(), vars));
    }
  }
  expect(messages.length).toBeGreaterThan(30);
  return messages;
}

test('a language 40 % longer than English fits a 320 px phone', async ({ otp, page, request }) => {
  // Served in place of the German catalog, so it is never in the menu.
  const catalog = JSON.stringify(pseudoCatalog());
  await page.route('**/i18n-de-*.json', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: catalog }),
  );
  await page.setViewportSize({ width: 320, height: 640 });
  await otp.open();
  await page.getByTestId('language-select').selectOption('de');
  await expect(otp.heading).toHaveText(/^\[Vé.*~+\]$/);
  await expectNothingOverflows(page, 'address');

  // The longest error, with its retry button.
  const inbox = Inbox.fresh(request);
  const busy = { error: { code: 'proof_of_work_required', message: '' } };
  await page.route('**/api/otp/send', (route) =>
    route.fulfill({ status: 429, contentType: 'application/json', body: JSON.stringify(busy) }),
  );
  await otp.askForCode(inbox.address);
  await expect(otp.error).toBeVisible();
  await expectNothingOverflows(page, 'address, with an error');
  await page.unroute('**/api/otp/send');

  await otp.sendCodeTo(inbox.address);
  await expect(otp.status).toContainText('~');
  await expectNothingOverflows(page, 'code');
  await otp.typeCode('000000');
  await expect(otp.error).toBeVisible();
  await expectNothingOverflows(page, 'code, after a wrong code');
});

test('the code screen in every language', async ({ otp, page, request, shot }, testInfo) => {
  const inbox = await Inbox.open(request, readableAddress(testInfo.project.name).replace('@', '.languages@'));
  await otp.open();
  await otp.sendCodeTo(inbox.address);
  const menu = page.getByTestId('language-select');
  for (const tag of await menu.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))) {
    await menu.selectOption(tag);
    await expect(page.locator('html')).toHaveAttribute('lang', tag);
    await expect(otp.codeInput).toBeVisible();
    await shot(`code-${tag}`);
  }
});
