/* The outbox: every save goes through it, so a turn is sent exactly once however the
 * connection behaves. It is kept in localStorage (one per conference and user): a save made
 * while the connection is down waits there, survives a reload and is sent when the
 * connection returns; the client_key made when the draft began lets the server recognise a
 * repeat. Edits wait in the same outbox with the version they were based on. Also here: the
 * state of the connection, which is mostly the state of the outbox.
 *
 * One save the server will not take never holds up the others: refused (4xx), or failing on
 * the server three times while the server answers otherwise, it is set aside ("error"): it
 * stays in the outbox and in the list with the server's message, to be corrected and saved
 * again, or discarded, while the saves after it go on. No answer at all, a gateway's 502/503/
 * 504, or a 500 while the server fails everything (a database restarting) is "try again
 * later" for the whole outbox, as without a connection. */

import { renewCopy } from "./offline.js";
import { OUTBOX_KEY, root, say, state, store, text, urlFor } from "./shared.js";
import { applyOrder, numberOf, turnByKey, upsertTurn } from "./turns.js";

const SAVE_TIMEOUT = 10000;
const RETRY_FIRST = 1500;
const RETRY_LONGEST = 10000;
// Server errors on one save, the server answering meanwhile, before it is set aside.
const SERVER_ATTEMPTS = 3;

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

/* Why a request did not do what it was sent for:
 * - "failed": no answer (no connection, a timeout);
 * - "expired": signed out or the page expired (a sign-in page, or the server says so);
 * - "later": the server cannot take it now (a gateway's 502, 503, 504; 408, 429);
 * - "server": the server failed on it (500 and the like);
 * - "refused": the server will not take it as it is (4xx answered without JSON).
 * ``message`` is the server's own words when it gave any. */
function NotSent(kind, status, message) {
  this.kind = kind;
  this.status = status || 0;
  this.message = message || "";
}

const LATER = [408, 429, 502, 503, 504];

/* The message of one of the application's error pages (templates/errors/error.html); a
 * proxy's page or the development server's says nothing the secretary can use. */
function pageMessage(page) {
  if (!page || !window.DOMParser) {
    return "";
  }
  try {
    var heading = new DOMParser().parseFromString(page, "text/html").querySelector("section.panel > h1");
    return heading ? heading.textContent.replace(/\s+/g, " ").trim() : "";
  } catch (error) {
    return "";
  }
}

function notSent(status, message) {
  if (LATER.indexOf(status) !== -1) {
    return new NotSent("later", status, message);
  }
  return new NotSent(status >= 500 ? "server" : "refused", status, message);
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
      var status = response.status;
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        if (response.ok || status === 401) {
          // The sign-in page, after a redirect.
          throw new NotSent("expired", status);
        }
        // An error page: the application's, a proxy's while the server restarts.
        return response.text().then(
          function (page) {
            throw notSent(status, pageMessage(page));
          },
          function () {
            throw notSent(status, "");
          }
        );
      }
      return response.json().then(
        function (body) {
          if (body && body.expired) {
            throw new NotSent("expired", status);
          }
          if (status >= 500 || LATER.indexOf(status) !== -1) {
            throw notSent(status, body && body.message);
          }
          return { status: status, body: body };
        },
        function () {
          throw notSent(status >= 400 ? status : 500, "");
        }
      );
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

/* Saves set aside: refused, or not saved after several server errors. */
export function setAsideCount() {
  return state.outbox.filter(function (item) {
    return item.state === "error";
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

/* When the first save the server failed on is to be tried again; 0 for none. */
function nextRetryAt() {
  var due = 0;
  state.outbox.forEach(function (item) {
    if (item.state === "waiting" && item.retry_at && (!due || item.retry_at < due)) {
      due = item.retry_at;
    }
  });
  return due;
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
  var now = Date.now();
  for (var i = 0; i < state.outbox.length; i += 1) {
    var item = state.outbox[i];
    if (item.state !== "waiting") {
      continue;
    }
    if (item.retry_at && item.retry_at > now) {
      // The server failed on it a moment ago: the others go first meanwhile.
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
    var due = nextRetryAt();
    if (due) {
      retryTimer = setTimeout(flush, Math.max(0, due - Date.now()));
    }
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
      reachable();
      answered(item, answer);
      ui.renderList();
      showNet();
      flush();
    },
    function (problem) {
      var kind = problem && problem.kind;
      if (kind === "server") {
        // Still in flight while the server is asked whether it answers at all: a change
        // made meanwhile becomes a save of its own, not counted with this one's failures.
        serverFailed(item, problem);
        return;
      }
      state.flushing = false;
      state.inFlight = null;
      if (kind === "refused") {
        reachable();
        setAside(item, problem);
        ui.renderList();
        showNet();
        flush();
      } else {
        tryLater(item, kind);
      }
    }
  );
}

/* The server answered as it should: whatever went wrong before is over. */
function reachable() {
  state.offline = false;
  state.signedOut = false;
  state.serverDown = false;
  retryDelay = RETRY_FIRST;
}

/* Nothing this save can change: the whole outbox waits and is sent again a little later. */
function tryLater(item, kind) {
  if (kind === "expired") {
    state.signedOut = true;
  } else if (kind === "later") {
    state.serverDown = true;
  } else {
    state.offline = true;
  }
  if (item.announce) {
    item.announce = false;
    saveOutbox();
    say(text(kind === "expired" ? "SignedOut" : kind === "later" ? "ServerQueued" : "Queued"), "warning");
  }
  ui.renderList();
  showNet();
  scheduleRetry();
}

/* Whether the server answers a plain request (the list of turns) as it should. */
function serverAnswers() {
  var controller = window.AbortController ? new AbortController() : null;
  var timer = controller
    ? setTimeout(function () {
        controller.abort();
      }, SAVE_TIMEOUT)
    : null;
  return fetch(root.dataset.turnsUrl, {
    credentials: "same-origin",
    cache: "no-store",
    signal: controller ? controller.signal : undefined,
    headers: { Accept: "application/json" }
  }).then(
    function (response) {
      clearTimeout(timer);
      return response.ok && (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
    },
    function () {
      clearTimeout(timer);
      return false;
    }
  );
}

/* The server failed on this save. If it fails on everything (a database restarting), the
 * outbox waits as without a connection; if it answers otherwise, the failure is this save's:
 * tried again a little later, and set aside after SERVER_ATTEMPTS so that the rest go on. */
function serverFailed(item, problem) {
  serverAnswers().then(function (answers) {
    state.flushing = false;
    state.inFlight = null;
    if (!answers) {
      tryLater(item, "later");
      return;
    }
    reachable();
    item.failures = (item.failures || 0) + 1;
    if (item.failures < SERVER_ATTEMPTS) {
      // Tried again after 1.5 s, then 3 s; the saves after it are sent meanwhile.
      item.retry_at = Date.now() + RETRY_FIRST * Math.pow(2, item.failures - 1);
      saveOutbox();
    } else {
      item.retry_at = null;
      setAside(item, problem);
    }
    ui.renderList();
    showNet();
    flush();
  });
}

/* Keep ``item`` out of the way with the server's reason, to be corrected and saved again or
 * discarded; the form takes it at once if it is free. */
function setAside(item, problem) {
  var fallback = problem.kind === "server" ? "ServerError" : "RefusedError";
  refused(item, {
    message: problem.message || text(fallback, { code: problem.status }),
    status: problem.status,
    field: null,
    errors: null
  });
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
  // Refused as it is (a rule the browser did not check).
  refused(item, {
    message: body.message || text("Failed"),
    status: answer.status,
    field: body.field || null,
    errors: body.errors || null
  });
}

/* Set ``item`` aside as refused (it is sent no more until saved again): into the form if the
 * form is free, else said above it. */
function refused(item, reason) {
  if (item.kind === "create") {
    // A change of it saved while it was on its way would wait for it for ever: it is what
    // the secretary wants saved now, so the turn set aside holds it.
    state.outbox = state.outbox.filter(function (other) {
      if (other.kind === "update" && !other.turn_id && other.turn_key === item.client_key) {
        item.data = other.data;
        return false;
      }
      return true;
    });
  }
  item.announce = false;
  item.state = "error";
  item.message = reason.message;
  item.status = reason.status || null;
  item.field = reason.field;
  item.errors = reason.errors;
  saveOutbox();
  if (ui.formIsBlank() && state.mode.kind === "new") {
    ui.loadItem(item);
  } else {
    say(text("NeedsFix", { message: item.message }), "error");
  }
}

/* Send a save set aside once more as it is (the server may have failed for a while only). */
export function sendAgain(item) {
  item.state = "waiting";
  item.failures = 0;
  item.retry_at = null;
  item.message = null;
  item.status = null;
  item.field = null;
  item.errors = null;
  item.announce = true;
  saveOutbox();
  ui.renderList();
  flushNow();
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
  } else if (state.serverDown) {
    parts.push(text("ServerDown"));
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
  var aside = setAsideCount();
  if (aside) {
    parts.push(text("SetAsideCount", { n: aside }));
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
