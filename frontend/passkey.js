// Adding and listing passkeys, for the page: fetched by boot.js only when
// the page offers a passkey after an approved code, or the person opens
// the list. The words come from the page, in its language, one a line.
const create = async (api) => {
  const { ceremony, public_key } = await api("passkey/register/options", {});
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(public_key),
  });
  // The name the list shows: the device's platform, when the browser says.
  const name = navigator.userAgentData?.platform || undefined;
  return api("passkey/register", { ceremony, credential: credential.toJSON(), name });
};

// A modal dialog of the page's own elements: [tag, text, test id, class?].
const dialog = (id, parts) => {
  const d = document.createElement("dialog");
  d.className = "card stack";
  d.dataset.testid = id;
  const made = parts.map(([tag, text, testid, cls]) => {
    const e = document.createElement(tag);
    e.textContent = text;
    if (tag == "button") e.type = "button";
    if (testid) e.dataset.testid = testid;
    if (cls) e.className = cls;
    d.append(e);
    return e;
  });
  document.body.append(d);
  d.showModal();
  return [d, made];
};

// The offer: create one, or not now. Either way it is not made again on
// this device (kept in its storage, nowhere else); then on to `to`, the
// app, if the code was for one.
const ASKED = "otp-passkey-asked";
export const offer = async (to, [line, yes, no], api) => {
  let asked = true;
  try {
    asked = !!localStorage.getItem(ASKED);
  } catch {}
  // Offered where this device can keep one itself (FIDO's guidance); the
  // button and the email field still reach a phone's or a security key's.
  if (!asked && (await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()))
    await new Promise((done) => {
      const [d, [, create_, later]] = dialog("passkey-offer", [
        ["p", line],
        ["button", yes, "passkey-create"],
        ["button", no, "passkey-not-now", "secondary"],
      ]);
      const close = () => {
        try {
          localStorage.setItem(ASKED, "1");
        } catch {}
        d.remove();
        done();
      };
      create_.onclick = () => create(api).then(close, close);
      later.onclick = close;
      d.oncancel = close;
    });
  if (to) location.replace(to);
};

// The identity's passkeys: name, added, last used (if ever), and Remove
// each; a new one; Close.
export const manage = async ([title, add, remove, added, used, close], api, d) => {
  d?.remove();
  const { passkeys } = await api("passkeys", {});
  const day = (s) => new Date(s * 1000).toLocaleDateString(document.documentElement.lang);
  const [box, [, list, more, shut]] = dialog("passkeys", [
    ["h2", title],
    ["ul", ""],
    ["button", add, "passkey-add", "secondary"],
    ["button", close, "passkeys-close", "link"],
  ]);
  const again = () => manage([title, add, remove, added, used, close], api, box);
  for (const p of passkeys) {
    const item = document.createElement("li");
    item.dataset.testid = "passkey";
    const when = p.last_used_at ? " · " + used.replace("{0}", day(p.last_used_at)) : "";
    item.textContent = `${p.name} · ${added.replace("{0}", day(p.created_at))}${when} `;
    const gone = document.createElement("button");
    gone.type = "button";
    gone.className = "link";
    gone.dataset.testid = "passkey-remove";
    gone.textContent = remove;
    // The sessions it started end; this browser's may be one of them.
    gone.onclick = () => api("passkeys/remove", { id: p.id }).then((r) => (r.sessions_ended ? location.reload() : again()));
    item.append(gone);
    list.append(item);
  }
  more.onclick = () => create(api).then(again, again);
  shut.onclick = () => box.remove();
};
