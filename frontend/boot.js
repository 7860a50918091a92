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
init({ module_or_path: new URL("./@WASM@", import.meta.url) });
