// Starts the page: loads the WebAssembly next to this file and runs it.
import init from "./@JS@";
// For the page when the service asks for a proof of work; the solver is
// fetched only then.
globalThis.otpSolve = (...args) => import("./@POW@").then((pow) => pow.solve(...args));
// For the page's language (src/language.rs): the person's pick kept on
// this device, the browser's languages, the served default.
const PICK = "otp-language";
globalThis.otpLanguages = () => {
  let pick = null;
  try {
    pick = localStorage.getItem(PICK);
  } catch {}
  return [pick, ...navigator.languages, document.documentElement.lang].filter(Boolean).join(" ");
};
globalThis.otpPick = (tag) => {
  try {
    localStorage.setItem(PICK, tag);
  } catch {}
};
// A catalog (a JSON array), fetched once; null when it cannot be had.
const catalogs = new Map();
globalThis.otpCatalog = (file) => {
  if (!catalogs.has(file)) {
    catalogs.set(file, fetch("/" + file).then((r) => (r.ok ? r.json() : Promise.reject())));
  }
  return catalogs.get(file).catch(() => (catalogs.delete(file), null));
};
globalThis.otpMark = (lang, dir, title) => {
  Object.assign(document.documentElement, { lang, dir });
  if (title) document.title = title;
  const menu = document.getElementById("language");
  if (menu) menu.value = lang;
};
// Once a screen is drawn (src/browser.rs): the focus goes where the
// person types next, unless they are choosing a language.
globalThis.otpFocus = () =>
  setTimeout(() => {
    if (document.activeElement?.id !== "language") document.querySelector("main [autofocus]")?.focus();
  });
// Passkeys, where the browser has them (their JSON form included) and the
// page is on a domain name: WebAuthn refuses an IP address as the relying
// party, so on 127.0.0.1 the page offers none rather than fail.
const PK = globalThis.PublicKeyCredential;
const passkeys = !!PK?.parseRequestOptionsFromJSON && !/^[\d.]+$|:/.test(location.hostname);
const api = (path, body) =>
  fetch("/api/" + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(
    async (r) => {
      const answer = await r.json();
      if (!r.ok) throw answer;
      return answer;
    },
  );
// Adding and listing passkeys: fetched only when the page offers one or
// the person opens the list.
const more = () => import("./@PASSKEY@");
// Signing in with a passkey: in the email field's suggestions (conditional
// mediation, started while that field is shown) or with the button. One
// request at a time: the button's replaces the field's.
let asking;
const signIn = async (mediation) => {
  asking?.abort();
  const mine = (asking = new AbortController());
  try {
    const sign_in = new URLSearchParams(location.search).get("sign_in") || undefined;
    const { ceremony, public_key } = await api("passkey/sign-in/options", { sign_in });
    const credential = await navigator.credentials.get({
      publicKey: PK.parseRequestOptionsFromJSON(public_key),
      mediation,
      signal: mine.signal,
    });
    const done = await api("passkey/sign-in", { ceremony, credential: credential.toJSON() });
    // Back to the app, or the page anew: it shows who is signed in.
    done.redirect_to ? location.replace(done.redirect_to) : location.reload();
  } catch {
    // No passkey here, or the person declined: the code remains.
    if (!mediation) document.getElementById("email")?.focus();
  } finally {
    if (asking == mine) asking = null;
  }
};
if (passkeys) {
  new MutationObserver(() => {
    for (const b of document.querySelectorAll("[data-passkey][hidden]")) b.hidden = false;
    if (document.getElementById("email") && !asking)
      PK.isConditionalMediationAvailable?.().then((yes) => yes && !asking && signIn("conditional"));
  }).observe(document.body, { childList: true, subtree: true });
  document.addEventListener("click", (e) => {
    const b = e.target.closest?.("[data-passkey]");
    if (b) b.dataset.passkey == "sign-in" ? signIn() : more().then((m) => m.manage(b.dataset.texts.split("\n"), api));
  });
}
// After an approved code (src/browser.rs): a passkey offered (once per
// device), then on to the app, if the code was for one.
globalThis.otpOffer = (to, texts) =>
  passkeys ? more().then((m) => m.offer(to, texts.split("\n"), api)) : to && location.replace(to);
init({ module_or_path: new URL("./@WASM@", import.meta.url) });
