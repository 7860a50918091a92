import init from "./otp-244608ad.js";
globalThis.otpSolve = (...args) => import("./pow-bc28fcb6.js").then((pow) => pow.solve(...args));
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
globalThis.otpFocus = () =>
setTimeout(() => {
if (document.activeElement?.id !== "language") document.querySelector("main [autofocus]")?.focus();
});
init({ module_or_path: new URL("./otp-4f504d8e.wasm", import.meta.url) });
