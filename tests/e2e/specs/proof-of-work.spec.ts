import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test, expect } from '../support/fixtures';
import { Inbox } from '../support/mail';
import { proofRequired, satisfies } from '../support/pow';
import { sendAsStranger } from '../support/stranger';

interface SendBody {
  email: string;
  request_id?: string;
  proof?: { challenge: string; nonce: number };
}

test('the page solves a proof of work, shows its progress, and sends the very same request again', async ({
  otp,
  page,
  request,
}) => {
  const inbox = Inbox.fresh(request);
  const bodies: SendBody[] = [];
  // The service asks twice (the first puzzle "expired" meanwhile), then
  // takes the send; the real service gets it without the made-up proof.
  await page.route('**/api/otp/send', async (route) => {
    const body = JSON.parse(route.request().postData() ?? '{}') as SendBody;
    bodies.push(body);
    if (bodies.length === 1) {
      await route.fulfill({ status: 429, contentType: 'application/json', body: proofRequired('e2e-one', 12) });
    } else if (bodies.length === 2) {
      await route.fulfill({ status: 429, contentType: 'application/json', body: proofRequired('e2e-two', 14) });
    } else {
      await route.continue({ postData: JSON.stringify({ email: body.email, request_id: body.request_id }) });
    }
  });
  // The solver is held back until the test has seen the page wait for it.
  let releaseSolver = () => {};
  const solverHeld = new Promise<void>((resolve) => (releaseSolver = resolve));
  const solverFetched: string[] = [];
  await page.route(/\/pow-[0-9a-f]{8}\.wasm$/, async (route) => {
    solverFetched.push(route.request().url());
    await solverHeld;
    await route.continue();
  });

  await otp.open();
  expect(solverFetched, 'the solver is not part of the first load').toEqual([]);
  await otp.askForCode(inbox.address);

  const bar = page.getByRole('progressbar', { name: 'Checking your device' });
  await expect(bar).toBeVisible();
  await expect(bar).toHaveAttribute('value', '0');
  await expect(bar).toHaveAttribute('max', '100');
  await expect(otp.status).toContainText('Your device must do a short check first.');
  await expect(otp.sendButton).toBeDisabled();
  releaseSolver();

  await expect(otp.codeInput).toBeVisible();
  await expect(bar).toHaveCount(0);
  expect(bodies).toHaveLength(3);
  const [first, second, third] = bodies;
  expect(first.proof).toBeUndefined();
  expect(first.request_id).toMatch(/^[0-9a-f]{32}$/);
  // Same send each time, each with the proof of the puzzle it was given.
  for (const [body, token, difficulty] of [
    [second, 'e2e-one', 12],
    [third, 'e2e-two', 14],
  ] as const) {
    expect({ ...body, proof: undefined }).toEqual({ ...first, proof: undefined });
    expect(body.proof?.challenge).toBe(token);
    expect(satisfies(token, body.proof!.nonce, difficulty), `nonce ${body.proof?.nonce} for ${token}`).toBe(true);
  }

  await otp.typeCode(await inbox.nextCode());
  await expect(otp.verified).toContainText(inbox.address);
});

test.describe('when a stranger has spent the address\'s free sends', () => {
  const url = process.env.OTP_E2E_POW_URL;
  test.skip(!url, 'OTP_E2E_POW_URL is not set: run the tests with tests/e2e/run');
  test.use({ baseURL: url });

  test('the owner still gets a code, after the device\'s proof of work', async ({
    otp,
    page,
    request,
  }, testInfo) => {
    const inbox = Inbox.fresh(request);
    // Someone else asks first, from another machine: that is the address's
    // one free send of the day on this server.
    const stranger = await sendAsStranger(url!, inbox.address);
    expect(stranger.status, stranger.body).toBe(202);
    await inbox.nextCode();

    await otp.open();
    const challenged = page.waitForResponse(
      (r) => r.url().endsWith('/api/otp/send') && r.status() === 429,
    );
    const proven = page.waitForRequest(
      (r) => r.url().endsWith('/api/otp/send') && (r.postData() ?? '').includes('"proof"'),
    );
    await otp.askForCode(inbox.address);
    const refusal = (await (await challenged).json()).error;
    const asked = Date.now();
    expect(refusal.code).toBe('proof_of_work_required');
    const challenge = refusal.challenge as { token: string; difficulty: number };
    const proof = JSON.parse((await proven).postData()!).proof as { challenge: string; nonce: number };
    const solveMs = Date.now() - asked;
    expect(proof.challenge).toBe(challenge.token);
    expect(satisfies(challenge.token, proof.nonce, challenge.difficulty)).toBe(true);

    await expect(otp.codeInput).toBeVisible();
    await otp.typeCode(await inbox.nextCode());
    await expect(otp.verified).toContainText(inbox.address);

    // The measured solve, for docs/benchmarks.md: printed and kept per project.
    const measured = { difficulty: challenge.difficulty, solve_ms: solveMs, nonce: proof.nonce };
    console.log(`proof of work (${testInfo.project.name}): ${JSON.stringify(measured)}`);
    const root = process.env.OTP_E2E_ROOT ?? path.resolve(__dirname, '../../..');
    const file = path.join(root, 'tests', 'test-results', 'pow-solve.json');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const all = JSON.parse(await fs.readFile(file, 'utf8').catch(() => '{}'));
    all[testInfo.project.name] = measured;
    await fs.writeFile(file, JSON.stringify(all, null, 2) + '\n');
  });
});
