/* The outbox: every save goes through it, so a turn is sent exactly once however the
 * connection behaves. It is kept in localStorage (one per conference and user): a save made
 * while the connection is down waits there, survives a reload and is sent when the
 * connection returns; the client_key made when the draft began lets the server recognise a
 * repeat. Edits wait in the same outbox with the version they were based on. Also here: the
 * state of the connection, which is mostly the state of the outbox. */

import { renewCopy } from "./offline.js";
import { OUTBOX_KEY, root, say, state, store, text, urlFor } from "./shared.js";
import { applyOrder, numberOf, turnByKey, upsertTurn } from "./turns.js";

const SAVE_TIMEOUT = 10000;
const RETRY_FIRST = 1500;
const RETRY_LONGEST = 10000;

let retryTimer = null;
let retryDelay = RETRY_FIRST;

/* What the outbox redraws or hands back to the form; main.js passes them in. */
let ui = null;

export function initOutbox(callbacks) {
  ui = callbacks;
  var kept = store.read(OUTBOX_KEY, []);
  state.outbox = Array.isArray(kept) ? kept : [];

  // Another tab of the same secretary sent or queued something: one outbox for both.
  window.addEventListener("storage", function (event) {
    if (event.key !== OUTBOX_KEY || state.flushing) {
      return;
    }
    var fresh = store.read(OUTBOX_KEY, []);
    state.outbox = Array.isArray(fresh) ? fresh : [];
    ui.renderList();
    ui.showConflict();
    showNet();
  });

  window.addEventListener("online", function () {
    state.offline = false;
    retryDelay = RETRY_FIRST;
    showNet();
    flush();
  });
  window.addEventListener("offline", function () {
    state.offline = true;
    showNet();
  });
}

/* -- talking to the server ---------------------------------------------------------------- */

function NotSent(kind) {
  this.kind = kind;
}

export function post(url, body) {
  var controller = window.AbortController ? new AbortController() : null;
  var timer = controller
    ? setTimeout(function () {
        controller.abort();
      }, SAVE_TIMEOUT)
    : null;
  return fetch(url, {
    method: "POST",
    body: JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
    signal: controller ? controller.signal : undefined,
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": root.dataset.csrf || ""
    }
  }).then(
    function (response) {
      clearTimeout(timer);
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A sign-in page after a redirect, or a proxy's error page while the server restarts.
        throw new NotSent(response.status >= 500 || !response.ok ? "failed" : "expired");
      }
      return response.json().then(function (body) {
        if (body && body.expired) {
          throw new NotSent("expired");
        }
        return { status: response.status, body: body };
      });
    },
    function () {
      clearTimeout(timer);
      throw new NotSent("failed");
    }
  );
}

/* -- the outbox --------------------------------------------------------------------------- */

export function saveOutbox() {
  store.write(OUTBOX_KEY, state.outbox.length ? state.outbox : null);
}

export function findItem(id) {
  for (var i = 0; i < state.outbox.length; i += 1) {
    if (state.outbox[i].id === id) {
      return state.outbox[i];
    }
  }
  return null;
}

export function removeItem(id) {
  state.outbox = state.outbox.filter(function (item) {
    return item.id !== id;
  });
  saveOutbox();
}

export function waitingCount() {
  return state.outbox.filter(function (item) {
    return item.state === "waiting";
  }).length;
}

export function pendingEditOf(turnId) {
  for (var i = 0; i < state.outbox.length; i += 1) {
    if (state.outbox[i].kind === "update" && state.outbox[i].turn_id === turnId) {
      return state.outbox[i];
    }
  }
  return null;
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  if (!waitingCount()) {
    return;
  }
  retryTimer = setTimeout(flush, retryDelay);
  retryDelay = Math.min(retryDelay * 2, RETRY_LONGEST);
}

function requestFor(item) {
  if (item.kind === "create") {
    // When it was saved and when it is sent, by this browser's clock: the server dates the
    // turn by the wait between them, whatever the clock says, and puts it in its place.
    var timing = item.saved_at ? { saved_at: item.saved_at, sent_at: new Date().toISOString() } : {};
    return {
      url: root.dataset.createUrl,
      body: Object.assign({ client_key: item.client_key }, item.data, timing)
    };
  }
  var turnId = item.turn_id;
  if (!turnId && item.turn_key) {
    var created = turnByKey(item.turn_key);
    if (!created) {
      return null;
    }
    turnId = item.turn_id = created.id;
  }
  return { url: urlFor("turn", turnId), body: Object.assign({ version: item.base_version }, item.data) };
}

function nextItem() {
  for (var i = 0; i < state.outbox.length; i += 1) {
    var item = state.outbox[i];
    if (item.state !== "waiting") {
      continue;
    }
    if (item.kind === "update" && !item.turn_id && item.turn_key && !turnByKey(item.turn_key)) {
      // An edit of a turn whose first save has not been answered yet: it waits its turn.
      continue;
    }
    return item;
  }
  return null;
}

export function flush() {
  if (state.flushing) {
    return;
  }
  clearTimeout(retryTimer);
  var item = nextItem();
  if (!item) {
    showNet();
    return;
  }
  var request = requestFor(item);
  state.flushing = true;
  state.inFlight = item.id;
  ui.renderList();
  showNet();
  post(request.url, request.body).then(
    function (answer) {
      state.flushing = false;
      state.inFlight = null;
      state.offline = false;
      state.signedOut = false;
      retryDelay = RETRY_FIRST;
      answered(item, answer);
      ui.renderList();
      showNet();
      flush();
    },
    function (problem) {
      state.flushing = false;
      state.inFlight = null;
      if (problem && problem.kind === "expired") {
        state.signedOut = true;
      } else {
        state.offline = true;
      }
      if (item.announce) {
        item.announce = false;
        saveOutbox();
        say(state.signedOut ? text("SignedOut") : text("Queued"), "warning");
      }
      ui.renderList();
      showNet();
      scheduleRetry();
    }
  );
}

/* A save just made: sent at once, the waits between retries starting short again. */
export function flushNow() {
  retryDelay = RETRY_FIRST;
  flush();
}

// A waiting save that was answered meanwhile: the form edits the turn it became.
const answeredKeys = {};

export function turnByKeyOfItem(itemId) {
  var key = answeredKeys[itemId];
  return key ? turnByKey(key) : null;
}

function answered(item, answer) {
  var body = answer.body || {};
  if (answer.status === 200 && body.ok) {
    removeItem(item.id);
    upsertTurn(body.turn);
    if (body.order) {
      // It was spoken before turns that arrived first: everyone's numbers move at once.
      applyOrder(body.order);
    }
    renewCopy();
    if (item.kind === "create") {
      answeredKeys[item.id] = item.client_key;
    }
    if (state.reveal && (state.reveal.client_key === item.client_key || state.reveal.turn_id === body.turn.id)) {
      state.reveal = { turn_id: body.turn.id };
    }
    if (state.mode.kind === "item" && state.mode.item_id === item.id) {
      // The form holds a change of what was just saved: it becomes an edit of that turn.
      state.mode = { kind: "turn", turn_id: body.turn.id, base_version: body.turn.version };
      ui.writeDraft();
    }
    if (item.announce && !ui.formHasErrors()) {
      // (While the form shows what to fix, the status line says that, not a success.)
      var number = numberOf(body.turn.id);
      say(text(item.kind === "create" ? "Saved" : "Updated", { n: number || "—" }), "success");
    }
    return;
  }
  item.announce = false;
  if (body.conflict) {
    item.state = "conflict";
    item.theirs = body.theirs;
    item.message = body.message;
    upsertTurn(body.theirs);
    saveOutbox();
    ui.showConflict();
    return;
  }
  if (body.closed) {
    item.state = "closed";
    item.message = body.message;
    saveOutbox();
    say(body.message, "error");
    return;
  }
  // Refused as it is (a rule the browser did not check): back into the form if it is free.
  item.state = "error";
  item.message = body.message || text("Failed");
  item.field = body.field || null;
  item.errors = body.errors || null;
  saveOutbox();
  if (ui.formIsBlank() && state.mode.kind === "new") {
    ui.loadItem(item);
  } else {
    say(text("NeedsFix", { message: item.message }), "error");
  }
}

/* -- the state of the connection ---------------------------------------------------------- */

const netBox = document.getElementById("net-state");
const liveBox = document.getElementById("live-state");

export function showNet() {
  if (!netBox) {
    return;
  }
  var waiting = waitingCount();
  var parts = [];
  var level = "online";
  if (state.signedOut) {
    parts.push(text("SignedOut"));
    level = "offline";
  } else if (state.offline || navigator.onLine === false) {
    parts.push(text("Offline"));
    level = "offline";
  } else if (state.inFlight) {
    parts.push(text("Sending"));
    level = "sending";
  } else if (!waiting) {
    parts.push(text("Online"));
  }
  if (waiting) {
    parts.push(text("Waiting", { n: waiting }));
    if (level === "online") {
      level = "waiting";
    }
  }
  netBox.hidden = false;
  netBox.className = "net-state net-" + level;
  netBox.dataset.waiting = String(waiting);
  netBox.textContent = parts.join(" · ");
  if (liveBox) {
    var lost = state.liveStatus === "reconnecting" || state.liveStatus === "offline";
    liveBox.textContent = lost ? text("LiveLost") : "";
  }
}
