import { expect, type APIRequestContext } from '@playwright/test';
import { randomBytes } from 'node:crypto';

/**
 * The inbox: maildev catches every message the service sends, and its REST
 * API lists them by recipient. Each test uses its own address, so tests
 * running side by side never read each other's mail.
 */
const api = process.env.OTP_E2E_MAILDEV_API;

/** One message as maildev's `GET /api/email` lists it (the fields read here). */
interface Message {
  subject: string;
  text: string;
  html: string;
  to: { address: string }[];
}

/**
 * A plain address for the tests whose screenshots go into the docs; one per
 * project, because the projects run side by side against one server.
 */
export function readableAddress(project: string): string {
  return project === 'mobile' ? 'grace@example.com' : 'ada@example.com';
}

async function messagesTo(request: APIRequestContext, address: string): Promise<Message[]> {
  if (!api) throw new Error('OTP_E2E_MAILDEV_API is not set: run the tests with tests/e2e/run');
  const url = `${api}/api/email?to.address=${encodeURIComponent(address)}`;
  const response = await request.get(url);
  expect(response.status(), `GET ${url}`).toBe(200);
  return (await response.json()) as Message[];
}

/**
 * One address's mailbox. It remembers how many messages were already there
 * when it was opened, so an address that received mail earlier in the same
 * maildev session is read correctly too.
 */
export class Inbox {
  private constructor(
    private readonly request: APIRequestContext,
    readonly address: string,
    private seen: number,
  ) {}

  /** The empty mailbox of a fresh address that nobody else in the run uses. */
  static fresh(request: APIRequestContext): Inbox {
    return new Inbox(request, `e2e-${randomBytes(6).toString('hex')}@example.com`, 0);
  }

  /** Opens the mailbox of `address`; do it before the code is asked for. */
  static async open(request: APIRequestContext, address: string): Promise<Inbox> {
    return new Inbox(request, address, (await messagesTo(request, address)).length);
  }

  /** How many messages the address has received so far. */
  async count(): Promise<number> {
    return (await messagesTo(this.request, this.address)).length;
  }

  /**
   * Waits for the next message and returns its code. The code is read from
   * the origin-bound last line (`@host #123456`) and must match the one in
   * the subject and the HTML part, as a mail client's autofill would see it.
   */
  async nextCode(): Promise<string> {
    const want = this.seen + 1;
    let messages: Message[] = [];
    await expect
      .poll(
        async () => {
          messages = await messagesTo(this.request, this.address);
          return messages.length;
        },
        { message: `message #${want} to ${this.address} in maildev`, timeout: 15_000 },
      )
      .toBeGreaterThanOrEqual(want);
    this.seen = messages.length;
    const newest = messages[messages.length - 1];
    expect(newest.to.map((t) => t.address)).toEqual([this.address]);
    const code = /#(\d{6})\s*$/.exec(newest.text)?.[1];
    expect(code, `code line at the end of:\n${newest.text}`).toBeDefined();
    expect(newest.subject.startsWith(`${code} `), `subject "${newest.subject}"`).toBe(true);
    expect(newest.html).toContain(code!);
    return code!;
  }
}

/** A well-formed code that is certainly not `code`. */
export function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}
