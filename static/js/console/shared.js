/* What every part of the console uses: the page it runs on, the words, small helpers, the
 * browser's storage and the state the parts share. Nothing here runs anything. */

export const root = document.getElementById("console");
const dataNode = document.getElementById("console-data");

/* Without its page, fetch or JSON the console stays plain forms: main.js starts nothing. */
export const usable = Boolean(root && dataNode && window.fetch && window.JSON);

export const initial = usable ? JSON.parse(dataNode.textContent) : {};
export const canWrite = usable && root.dataset.canWrite === "true";
const storagePrefix = usable ? "dialogue:console:" + root.dataset.conference + ":" + root.dataset.user + ":" : "";
export const OUTBOX_KEY = storagePrefix + "outbox";
export const DRAFT_KEY = storagePrefix + "draft";

/* What the parts read and change in one another; each part keeps the rest to itself.
 * - outbox: the saves not yet answered (kept in localStorage under OUTBOX_KEY);
 *   inFlight: the id of the one being sent; flushing, offline, signedOut, serverDown: how
 *   sending goes (serverDown: the server answers, but fails or cannot take anything now).
 * - mode: what the form holds, {kind: "new"}, {kind: "turn", turn_id, base_version} or
 *   {kind: "item", item_id}; merging: their version beside the form while merging;
 *   loadedValues: the form as it was loaded, to tell whether it was changed.
 * - liveStatus: the live stream's last status.
 * - reveal: the turn just saved, {client_key} or {turn_id}, kept in view in the running list
 *   until it has its place there. */
export const state = {
  outbox: [],
  inFlight: null,
  flushing: false,
  offline: false,
  signedOut: false,
  serverDown: false,
  mode: { kind: "new" },
  merging: null,
  loadedValues: null,
  liveStatus: null,
  reveal: null
};

/* -- small helpers ------------------------------------------------------------------------ */

export function text(name, values) {
  var value = root.dataset["text" + name] || "";
  Object.keys(values || {}).forEach(function (key) {
    value = value.replace("{" + key + "}", values[key]);
  });
  return value;
}

export function element(tag, className, content) {
  var node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (content !== undefined && content !== null && content !== "") {
    node.textContent = content;
  }
  return node;
}

export function button(label, className, onClick, title) {
  var node = element("button", "button small" + (className ? " " + className : ""), label);
  node.type = "button";
  if (title) {
    node.title = title;
    node.setAttribute("aria-label", title);
  }
  node.addEventListener("click", onClick);
  return node;
}

/* Lower case, no diacritics, đ as d: "Đất đai" and "dat dai" are the same search. */
export function fold(value) {
  return String(value || "")
    .replace(/[đĐ]/g, "d")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

/* Text as the server keeps it: NFC, no space around, inner runs of spaces (line breaks too) as
 * one; "what changed" compares texts this way. */
export function normalText(value) {
  var string = value === null || value === undefined ? "" : String(value);
  if (string.normalize) {
    string = string.normalize("NFC");
  }
  return string.replace(/\s+/g, " ").trim();
}

export function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  var bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 15) | 64;
  bytes[8] = (bytes[8] & 63) | 128;
  var hex = Array.prototype.map
    .call(bytes, function (b) {
      return (b + 256).toString(16).slice(1);
    })
    .join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

export const store = {
  read: function (key, fallback) {
    try {
      var value = window.localStorage.getItem(key);
      return value ? JSON.parse(value) : fallback;
    } catch (error) {
      return fallback;
    }
  },
  write: function (key, value) {
    try {
      if (value === null) {
        window.localStorage.removeItem(key);
      } else {
        window.localStorage.setItem(key, JSON.stringify(value));
      }
    } catch (error) {
      // Private browsing or a full storage: the console still works, only without the net.
    }
  }
};

export function urlFor(name, turnId) {
  return root.dataset[name + "Url"].replace(/\/0(\/|$)/, "/" + turnId + "$1");
}

const messageBox = document.getElementById("console-message");

/* The message above the form; with no form (a reader's console) nothing is said. */
export function say(message, level) {
  if (!messageBox) {
    return;
  }
  messageBox.textContent = "";
  if (message) {
    messageBox.appendChild(element("p", "flash flash-" + (level || "info"), message));
  }
}
