// "Example Shop": a small web app that signs people in with the service, as
// a confidential OpenID Connect client, through `openid-client` (panva), a
// maintained relying-party library. `tests/e2e/run` starts it on its own
// loopback port and registers it with the service (OTP_CLIENTS).
//
//   GET /          the shop's page, with a "Sign in" link
//   GET /login     to the service's /authorize: code flow with PKCE S256,
//                  state and nonce kept in this browser's session;
//                  `login_hint` and `ui_locales` query parameters are
//                  passed on
//   GET /callback  the code exchanged at /token (client_secret_basic), the
//                  ID token checked by the library (signature against the
//                  published keys, iss, aud, exp, nonce) and /userinfo read;
//                  shows the verified address, or the error the service sent
//                  back (access_denied when the person cancelled)
//   GET /health    200 once listening
//
// Settings (environment): RP_PORT, RP_ISSUER (the service's issuer, which
// is also where discovery starts), RP_CLIENT_ID, RP_CLIENT_SECRET.
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';

const port = Number(process.env.RP_PORT);
const issuer = new URL(process.env.RP_ISSUER);
const clientId = process.env.RP_CLIENT_ID;
const clientSecret = process.env.RP_CLIENT_SECRET;
const base = `http://127.0.0.1:${port}`;
const redirectUri = `${base}/callback`;

/** The service's metadata, fetched once it is first needed. */
let config;
async function configuration() {
  config ??= await client.discovery(
    issuer,
    clientId,
    { client_secret: clientSecret, redirect_uris: [redirectUri] },
    client.ClientSecretBasic(clientSecret),
    // Loopback HTTP in the tests; and check each ID token's signature
    // against the published keys, not only its claims.
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
  );
  return config;
}

/** What each browser started a sign-in with, by session cookie. */
const sessions = new Map();

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Example Shop</title>
<body><h1>Example Shop</h1>${body}</body></html>`);
}

function sessionId(req) {
  return /(?:^|;\s*)rp_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
}

async function login(req, res, url) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const id = randomBytes(16).toString('base64url');
  sessions.set(id, { verifier, state, nonce });
  const parameters = {
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  const hint = url.searchParams.get('login_hint');
  if (hint) parameters.login_hint = hint;
  const locales = url.searchParams.get('ui_locales');
  if (locales) parameters.ui_locales = locales;
  const to = client.buildAuthorizationUrl(await configuration(), parameters);
  res.writeHead(302, {
    location: to.href,
    'set-cookie': `rp_session=${id}; Path=/; HttpOnly; SameSite=Lax`,
  });
  res.end();
}

async function callback(req, res, url) {
  const id = sessionId(req);
  const session = id && sessions.get(id);
  if (!session) return page(res, 400, '<p data-testid="error">No sign-in was started here.</p>');
  sessions.delete(id);
  try {
    const cfg = await configuration();
    const tokens = await client.authorizationCodeGrant(cfg, url, {
      pkceCodeVerifier: session.verifier,
      expectedState: session.state,
      expectedNonce: session.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (claims.email_verified !== true) throw new Error('the ID token does not say the address is verified');
    const info = await client.fetchUserInfo(cfg, tokens.access_token, claims.sub);
    if (info.email !== claims.email) throw new Error('/userinfo names another address');
    page(
      res,
      200,
      `<p data-testid="signed-in">Signed in as <strong data-testid="email">${escape(claims.email)}</strong></p>` +
        `<p>Proven by <span data-testid="amr">${escape(claims.amr.join(' '))}</span></p>`,
    );
  } catch (e) {
    // The service's answer (e.g. access_denied when the person cancelled),
    // or what the library refused in the response or the ID token.
    const error = e instanceof client.AuthorizationResponseError ? e.error : e.code ?? e.name;
    const description = e instanceof client.AuthorizationResponseError ? e.error_description : e.message;
    page(
      res,
      200,
      `<p data-testid="error">Sign-in failed: <code data-testid="error-code">${escape(error)}</code></p>
<p data-testid="error-description">${escape(description ?? '')}</p>`,
    );
  }
}

http
  .createServer(async (req, res) => {
    const url = new URL(req.url, base);
    try {
      if (url.pathname === '/') return page(res, 200, '<p><a href="/login">Sign in</a></p>');
      if (url.pathname === '/login') return await login(req, res, url);
      if (url.pathname === '/callback') return await callback(req, res, url);
      if (url.pathname === '/health') return page(res, 200, '<p>ok</p>');
      page(res, 404, '<p>Not found.</p>');
    } catch (e) {
      console.error(e);
      page(res, 500, `<p data-testid="error">${escape(e.message)}</p>`);
    }
  })
  .listen(port, '127.0.0.1', () => console.log(`Example Shop on ${base}, signing in with ${issuer.href}`));
