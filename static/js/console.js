/* The secretaries' console (templates/live/console.html): keyboard-first, made for a laptop
 * on poor Wi-Fi in a crowded hall.
 *
 * - Ctrl+Enter saves the turn and empties the form for the next one at once, the focus back
 *   on the speaker. The save goes through an outbox kept in localStorage (one per conference
 *   and user): a turn saved while the connection is down stays there, marked "not yet sent",
 *   survives a reload and is sent when the connection returns; the client_key made here when
 *   the draft began lets the server recognise a repeat, so it is saved exactly once. Edits
 *   wait in the same outbox with the version they were based on.
 * - The turn being typed is kept in localStorage too: a reload does not lose it.
 * - Other secretaries' saves arrive through the staff live stream (static/js/livefeed.js).
 * - A turn changed by someone else meanwhile comes back as 409 with both versions: the
 *   secretary keeps theirs, takes the other, or merges in the form; nothing typed is lost.
 * Without this script the page is plain forms (POST, redirect, flashed message). */
(function () {
  "use strict";

  var root = document.getElementById("console");
  var dataNode = document.getElementById("console-data");
  if (!root || !dataNode || !window.fetch || !window.JSON) {
    return;
  }

  var SAVE_TIMEOUT = 10000;
  var RETRY_FIRST = 1500;
  var RETRY_LONGEST = 10000;
  var SEARCH_DELAY = 120;
  var DRAFT_DELAY = 250;
  var POLL_INTERVAL = 3000;
  var FIELDS = [
    "speaker_attendee_id",
    "speaker_name",
    "speaker_group_id",
    "speaker_organisation",
    "procedure_area_id",
    "question",
    "outcome",
    "answerer_attendee_id",
    "answerer_name",
    "answer",
    "referral_unit_id",
    "referral_due_date",
    "referral_note"
  ];
  var TEXT_FIELDS = ["speaker_name", "speaker_organisation", "question", "answerer_name", "answer", "referral_note"];

  var initial = JSON.parse(dataNode.textContent);
  var canWrite = root.dataset.canWrite === "true";
  var storagePrefix = "dialogue:console:" + root.dataset.conference + ":" + root.dataset.user + ":";
  var OUTBOX_KEY = storagePrefix + "outbox";
  var DRAFT_KEY = storagePrefix + "draft";

  /* -- small helpers ------------------------------------------------------------------------ */

  function text(name, values) {
    var value = root.dataset["text" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.replace("{" + key + "}", values[key]);
    });
    return value;
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content !== undefined && content !== null && content !== "") {
      node.textContent = content;
    }
    return node;
  }

  function button(label, className, onClick, title) {
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
  function fold(value) {
    return String(value || "")
      .replace(/[đĐ]/g, "d")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/\s+/g, " ")
      .trim();
  }

  function newKey() {
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

  function copy(object) {
    return JSON.parse(JSON.stringify(object));
  }

  var store = {
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

  function urlFor(name, turnId) {
    return root.dataset[name + "Url"].replace(/\/0(\/|$)/, "/" + turnId + "$1");
  }

  /* -- talking to the server ---------------------------------------------------------------- */

  function NotSent(kind) {
    this.kind = kind;
  }

  function post(url, body) {
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

  /* -- the turns as the server has them ----------------------------------------------------- */

  var turns = {};

  function upsertTurn(turn) {
    if (!turn || typeof turn.id !== "number") {
      return;
    }
    var known = turns[turn.id];
    if (known && typeof turn.version === "number" && known.version > turn.version) {
      return; // an older state that arrived late
    }
    turns[turn.id] = known ? Object.assign({}, known, turn) : turn;
  }

  function replaceTurns(list) {
    turns = {};
    (list || []).forEach(upsertTurn);
  }

  function applyOrder(ids) {
    (ids || []).forEach(function (id, index) {
      if (turns[id]) {
        turns[id].position = index + 1;
      }
    });
  }

  function orderedTurns() {
    return Object.keys(turns)
      .map(function (id) {
        return turns[id];
      })
      .sort(function (a, b) {
        return a.position - b.position || a.id - b.id;
      });
  }

  function numberOf(turnId) {
    var count = 0;
    var found = null;
    orderedTurns().forEach(function (turn) {
      if (!turn.withdrawn) {
        count += 1;
        if (turn.id === turnId) {
          found = count;
        }
      }
    });
    return found;
  }

  function turnByKey(clientKey) {
    var found = null;
    Object.keys(turns).forEach(function (id) {
      if (turns[id].client_key === clientKey) {
        found = turns[id];
      }
    });
    return found;
  }

  /* -- the outbox --------------------------------------------------------------------------- */

  var outbox = store.read(OUTBOX_KEY, []);
  if (!Array.isArray(outbox)) {
    outbox = [];
  }
  var inFlight = null;
  var flushing = false;
  var offline = false;
  var signedOut = false;
  var retryTimer = null;
  var retryDelay = RETRY_FIRST;

  function saveOutbox() {
    store.write(OUTBOX_KEY, outbox.length ? outbox : null);
  }

  function findItem(id) {
    for (var i = 0; i < outbox.length; i += 1) {
      if (outbox[i].id === id) {
        return outbox[i];
      }
    }
    return null;
  }

  function removeItem(id) {
    outbox = outbox.filter(function (item) {
      return item.id !== id;
    });
    saveOutbox();
  }

  function waitingCount() {
    return outbox.filter(function (item) {
      return item.state === "waiting";
    }).length;
  }

  function pendingEditOf(turnId) {
    for (var i = 0; i < outbox.length; i += 1) {
      if (outbox[i].kind === "update" && outbox[i].turn_id === turnId) {
        return outbox[i];
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
      return { url: root.dataset.createUrl, body: Object.assign({ client_key: item.client_key }, item.data) };
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
    for (var i = 0; i < outbox.length; i += 1) {
      var item = outbox[i];
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

  function flush() {
    if (flushing) {
      return;
    }
    clearTimeout(retryTimer);
    var item = nextItem();
    if (!item) {
      showNet();
      return;
    }
    var request = requestFor(item);
    flushing = true;
    inFlight = item.id;
    renderList();
    showNet();
    post(request.url, request.body).then(
      function (answer) {
        flushing = false;
        inFlight = null;
        offline = false;
        signedOut = false;
        retryDelay = RETRY_FIRST;
        answered(item, answer);
        renderList();
        showNet();
        flush();
      },
      function (problem) {
        flushing = false;
        inFlight = null;
        if (problem && problem.kind === "expired") {
          signedOut = true;
        } else {
          offline = true;
        }
        if (item.announce) {
          item.announce = false;
          saveOutbox();
          say(signedOut ? text("SignedOut") : text("Queued"), "warning");
        }
        renderList();
        showNet();
        scheduleRetry();
      }
    );
  }

  function answered(item, answer) {
    var body = answer.body || {};
    if (answer.status === 200 && body.ok) {
      removeItem(item.id);
      upsertTurn(body.turn);
      if (item.kind === "create") {
        answeredKeys[item.id] = item.client_key;
      }
      if (mode.kind === "item" && mode.item_id === item.id) {
        // The form holds a change of what was just saved: it becomes an edit of that turn.
        mode = { kind: "turn", turn_id: body.turn.id, base_version: body.turn.version };
        writeDraft();
      }
      if (item.announce) {
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
      showConflict();
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
    saveOutbox();
    if (formIsBlank() && mode.kind === "new") {
      loadItem(item);
    }
  }

  /* -- the form ----------------------------------------------------------------------------- */

  var form = document.getElementById("turn-form");
  var heading = document.getElementById("form-heading");
  var messageBox = document.getElementById("console-message");
  var mode = { kind: "new" };
  var clientKey = null;
  var stash = null;
  var merging = null;

  function say(message, level) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = "";
    if (message) {
      messageBox.appendChild(element("p", "flash flash-" + (level || "info"), message));
    }
  }

  function control(name) {
    return form ? form.elements[name] : null;
  }

  function readForm() {
    var values = {};
    FIELDS.forEach(function (name) {
      var field = control(name);
      values[name] = field ? String(field.value || "") : "";
    });
    return values;
  }

  function defaults() {
    return {
      speaker_attendee_id: "",
      speaker_name: "",
      speaker_group_id: "0",
      speaker_organisation: "",
      procedure_area_id: "0",
      question: "",
      outcome: "pending",
      answerer_attendee_id: "",
      answerer_name: "",
      answer: "",
      referral_unit_id: "0",
      referral_due_date: initial.default_due || "",
      referral_note: ""
    };
  }

  function writeForm(values) {
    var all = Object.assign(defaults(), values || {});
    FIELDS.forEach(function (name) {
      var field = control(name);
      if (!field) {
        return;
      }
      var value = all[name] === null || all[name] === undefined ? "" : String(all[name]);
      if (name === "outcome") {
        Array.prototype.forEach.call(form.querySelectorAll('input[name="outcome"]'), function (radio) {
          radio.checked = radio.value === value;
        });
      } else {
        field.value = value;
        if (field.tagName === "SELECT" && field.value !== value) {
          field.value = "0";
        }
      }
    });
    showOutcome();
    if (areaCombo) {
      areaCombo.sync();
    }
  }

  function formIsBlank(values) {
    values = values || readForm();
    var blank = defaults();
    return TEXT_FIELDS.every(function (name) {
      return !String(values[name] || "").trim();
    }) &&
      String(values.procedure_area_id) === blank.procedure_area_id &&
      String(values.speaker_group_id) === blank.speaker_group_id &&
      String(values.referral_unit_id) === blank.referral_unit_id;
  }

  function showOutcome() {
    if (!form) {
      return;
    }
    var outcome = control("outcome") ? control("outcome").value : "pending";
    Array.prototype.forEach.call(form.querySelectorAll(".outcome-part"), function (part) {
      part.hidden = part.dataset.outcome !== outcome;
    });
    var due = control("referral_due_date");
    if (outcome === "referred" && due && !due.value) {
      due.value = initial.default_due || "";
    }
  }

  function clearErrors() {
    if (!form) {
      return;
    }
    Array.prototype.forEach.call(form.querySelectorAll(".field.has-error"), function (node) {
      node.classList.remove("has-error");
    });
    Array.prototype.forEach.call(form.querySelectorAll(".error"), function (node) {
      node.remove();
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (node) {
      node.removeAttribute("aria-invalid");
    });
    var general = document.getElementById("form-errors");
    if (general) {
      general.remove();
    }
  }

  function showError(name, message) {
    var field = name ? control(name) : null;
    if (field && field.length && !field.tagName) {
      field = field[0]; // the outcome radios
    }
    if (name === "procedure_area_id" && areaCombo) {
      field = areaCombo.input;
    }
    var box = field ? field.closest(".field") : null;
    if (!box) {
      say(message, "error");
      return;
    }
    box.classList.add("has-error");
    field.setAttribute("aria-invalid", "true");
    var note = element("p", "error", message);
    note.id = (name || "form") + "-error";
    note.setAttribute("role", "alert");
    box.appendChild(note);
    field.focus();
  }

  /* The rules the server applies, checked here first so a turn is not queued to be refused. */
  function problemWith(values) {
    if (!values.question.trim()) {
      return { field: "question", message: text("QuestionNeeded") };
    }
    if (values.outcome === "answered") {
      if (!values.answer.trim()) {
        return { field: "answer", message: text("AnswerNeeded") };
      }
      if (!values.answerer_name.trim() && !values.answerer_attendee_id) {
        return { field: "answerer_name", message: text("AnswererNeeded") };
      }
    }
    if (values.outcome === "referred") {
      if (!values.referral_unit_id || values.referral_unit_id === "0") {
        return { field: "referral_unit_id", message: text("UnitNeeded") };
      }
      if (values.referral_due_date && values.referral_due_date < root.dataset.conferenceDate) {
        return { field: "referral_due_date", message: text("DueEarly") };
      }
    }
    return null;
  }

  function showHeading() {
    if (!heading) {
      return;
    }
    if (mode.kind === "turn") {
      heading.textContent = text("EditTurn", { n: numberOf(mode.turn_id) || "—" });
    } else if (mode.kind === "item") {
      heading.textContent = text("EditWaiting");
    } else {
      heading.textContent = text("NewTurn");
    }
    var cancel = document.getElementById("cancel-edit");
    if (cancel) {
      cancel.hidden = mode.kind === "new";
    }
    var clear = document.getElementById("clear-button");
    if (clear) {
      clear.hidden = mode.kind !== "new";
    }
    Array.prototype.forEach.call(document.querySelectorAll(".turn.is-editing"), function (node) {
      node.classList.remove("is-editing");
    });
    if (mode.kind === "turn") {
      var editing = document.getElementById("turn-" + mode.turn_id);
      if (editing) {
        editing.classList.add("is-editing");
      }
    }
  }

  var draftTimer = null;

  function saveDraft() {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(writeDraft, DRAFT_DELAY);
  }

  function writeDraft() {
    clearTimeout(draftTimer);
    if (!form) {
      return;
    }
    var values = readForm();
    var keep = mode.kind !== "new" || !formIsBlank(values) || stash;
    store.write(
      DRAFT_KEY,
      keep ? { mode: mode, client_key: clientKey, values: values, stash: stash, merging: merging } : null
    );
  }

  function startNew(values) {
    mode = { kind: "new" };
    clientKey = newKey();
    merging = null;
    clearErrors();
    writeForm(values || null);
    showHeading();
    showMerging();
    writeDraft();
  }

  function leaveEdit() {
    var back = stash;
    stash = null;
    if (back) {
      startNew(back.values);
      clientKey = back.client_key || clientKey;
      writeDraft();
    } else {
      startNew();
    }
  }

  function nextField(from) {
    var fields = Array.prototype.filter.call(
      form.querySelectorAll("input, select, textarea, button"),
      function (node) {
        return (
          !node.disabled &&
          node.type !== "hidden" &&
          !node.hidden &&
          node.offsetParent !== null &&
          (node.type !== "radio" || node.checked)
        );
      }
    );
    var index = fields.indexOf(from);
    if (index !== -1 && fields[index + 1]) {
      fields[index + 1].focus();
    }
  }

  function focusSpeaker() {
    var speaker = control("speaker_name");
    if (speaker) {
      speaker.focus();
    }
  }

  /* Put a turn, or a waiting save, into the form; the turn being typed is set aside. */
  function enterEdit(newMode, values) {
    if (!form) {
      return false;
    }
    if (mode.kind !== "new") {
      if (!sameMode(mode, newMode) && isDirty()) {
        say(text("FormBusy"), "warning");
        return false;
      }
    } else if (!formIsBlank()) {
      stash = { client_key: clientKey, values: readForm() };
    }
    mode = newMode;
    clearErrors();
    writeForm(values);
    showHeading();
    writeDraft();
    say("");
    return true;
  }

  function sameMode(a, b) {
    return a.kind === b.kind && a.turn_id === b.turn_id && a.item_id === b.item_id;
  }

  var loadedValues = null;

  function isDirty() {
    return loadedValues !== null && JSON.stringify(readForm()) !== JSON.stringify(loadedValues);
  }

  function turnValues(turn) {
    return {
      speaker_attendee_id: turn.speaker_attendee_id || "",
      speaker_name: turn.speaker || "",
      speaker_group_id: String(turn.group_id || 0),
      speaker_organisation: turn.organisation || "",
      procedure_area_id: String(turn.area ? turn.area.id : 0),
      question: turn.question || "",
      outcome: turn.outcome || "pending",
      answerer_attendee_id: turn.answerer_attendee_id || "",
      answerer_name: turn.answerer || "",
      answer: turn.answer || "",
      referral_unit_id: String(turn.referral_unit_id || 0),
      referral_due_date: (turn.referral && turn.referral.due) || initial.default_due || "",
      referral_note: turn.referral_note || ""
    };
  }

  function loadTurn(turnId) {
    var turn = turns[turnId];
    if (!turn || !canWrite) {
      return;
    }
    var waiting = pendingEditOf(turnId);
    var values = waiting ? waiting.data : turnValues(turn);
    var base = waiting ? waiting.base_version : turn.version;
    if (enterEdit({ kind: "turn", turn_id: turnId, base_version: base }, values)) {
      loadedValues = readForm();
      focusQuestionOrSpeaker();
    }
  }

  function loadItem(item) {
    if (enterEdit({ kind: "item", item_id: item.id }, item.data)) {
      loadedValues = readForm();
      if (item.state === "error" && item.message) {
        showError(item.field, item.message);
      } else {
        focusQuestionOrSpeaker();
      }
    }
  }

  function focusQuestionOrSpeaker() {
    var question = control("question");
    if (question) {
      question.focus();
    }
  }

  function save() {
    if (!form || !canWrite) {
      return;
    }
    clearErrors();
    if (areaCombo) {
      areaCombo.commit();
    }
    closeCombos();
    var values = readForm();
    var problem = problemWith(values);
    if (problem) {
      showError(problem.field, problem.message);
      return;
    }
    say("");
    var item = null;
    if (mode.kind === "new") {
      item = { id: newKey(), kind: "create", client_key: clientKey, data: values };
      outbox.push(item);
    } else if (mode.kind === "turn") {
      item = pendingEditOf(mode.turn_id);
      if (item && item.id !== inFlight) {
        item.data = values;
      } else {
        item = { id: newKey(), kind: "update", turn_id: mode.turn_id, base_version: mode.base_version, data: values };
        outbox.push(item);
      }
    } else {
      var queued = findItem(mode.item_id);
      if (queued && queued.id !== inFlight) {
        item = queued;
        item.data = values;
      } else if (queued && queued.kind === "create") {
        // Its first save is on the way: this edit follows it as a change of version 1.
        item = { id: newKey(), kind: "update", turn_key: queued.client_key, base_version: 1, data: values };
        outbox.push(item);
      } else if (queued) {
        item = { id: newKey(), kind: "update", turn_id: queued.turn_id, base_version: queued.base_version, data: values };
        outbox.push(item);
      } else {
        var known = turnByKeyOfItem(mode.item_id);
        item = known
          ? { id: newKey(), kind: "update", turn_id: known.id, base_version: known.version, data: values }
          : { id: newKey(), kind: "create", client_key: newKey(), data: values };
        outbox.push(item);
      }
    }
    item.state = "waiting";
    item.message = null;
    item.field = null;
    item.theirs = null;
    item.announce = true;
    saveOutbox();
    loadedValues = null;
    if (mode.kind === "new") {
      startNew();
    } else {
      leaveEdit();
    }
    renderList();
    retryDelay = RETRY_FIRST;
    flush();
    focusSpeaker();
  }

  // A waiting save that was answered meanwhile: the form edits the turn it became.
  var answeredKeys = {};

  function turnByKeyOfItem(itemId) {
    var key = answeredKeys[itemId];
    return key ? turnByKey(key) : null;
  }

  /* -- choosing people and areas as you type ------------------------------------------------ */

  var comboCount = 0;

  function Combo(input, options) {
    comboCount += 1;
    var self = this;
    var list = element("ul", "combo-list");
    list.id = "combo-list-" + comboCount;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.removeAttribute("list");
    input.parentNode.classList.add("combo");
    input.parentNode.insertBefore(list, input.nextSibling);
    var items = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    self.input = input;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (node, i) {
        node.setAttribute("aria-selected", i === index ? "true" : "false");
        if (i === index) {
          input.setAttribute("aria-activedescendant", node.id);
          node.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function show(found, term) {
      items = found || [];
      list.textContent = "";
      if (!items.length) {
        if (options.empty && term) {
          var none = element("li", "combo-empty", options.empty);
          none.setAttribute("aria-disabled", "true");
          list.appendChild(none);
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        } else {
          close();
        }
        return;
      }
      items.forEach(function (item, index) {
        var shown = options.render(item);
        var node = element("li", "combo-option" + (shown.official ? " is-official" : ""));
        node.id = list.id + "-" + index;
        node.setAttribute("role", "option");
        node.appendChild(element("span", "combo-main", shown.main));
        if (shown.detail) {
          node.appendChild(element("span", "combo-detail", shown.detail));
        }
        node.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(index);
        });
        list.appendChild(node);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(options.autoHighlight ? 0 : -1);
    }

    function pick(index) {
      var item = items[index];
      if (!item) {
        return;
      }
      close();
      options.pick(item);
      saveDraft();
    }

    function ask() {
      var term = input.value;
      asked += 1;
      var ticket = asked;
      options.source(term, function (found) {
        if (ticket === asked && document.activeElement === input && input.value === term) {
          show(found, term);
        }
      });
    }

    input.addEventListener("input", function () {
      if (options.typed) {
        options.typed();
      }
      clearTimeout(timer);
      timer = setTimeout(ask, options.delay || 0);
    });
    input.addEventListener("focus", function () {
      if (options.onFocus) {
        ask();
      }
    });
    input.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) {
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) {
          ask();
        } else {
          highlight(Math.min(items.length - 1, active + 1));
        }
      } else if (event.key === "ArrowUp" && !list.hidden) {
        event.preventDefault();
        highlight(Math.max(0, active - 1));
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(function () {
        if (options.left) {
          options.left(items, active);
        }
        close();
      }, 0);
    });
    self.close = close;
    combos.push(self);
  }

  var combos = [];

  function closeCombos() {
    combos.forEach(function (combo) {
      combo.close();
    });
  }

  function fetchPeople(purpose, term, done) {
    var url = root.dataset.peopleUrl + "?q=" + encodeURIComponent(term) + (purpose ? "&for=" + purpose : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : { people: [] };
      })
      .then(
        function (body) {
          done(body.people || []);
        },
        function () {
          done([]); // offline: the name is kept as typed
        }
      );
  }

  function personDetail(person) {
    return [person.title, person.group || person.organisation].filter(Boolean).join(" · ");
  }

  function setupSpeaker() {
    var input = control("speaker_name");
    if (!input) {
      return;
    }
    new Combo(input, {
      delay: SEARCH_DELAY,
      empty: text("NoMatch"),
      source: function (term, done) {
        if (fold(term).replace(/ /g, "").length < 2) {
          done([]);
          return;
        }
        fetchPeople("", term, done);
      },
      render: function (person) {
        return { main: person.name, detail: personDetail(person) };
      },
      typed: function () {
        control("speaker_attendee_id").value = "";
      },
      pick: function (person) {
        input.value = person.name;
        control("speaker_attendee_id").value = person.attendee_id || "";
        var group = control("speaker_group_id");
        group.value = String(person.group_id || 0);
        if (group.value !== String(person.group_id || 0)) {
          group.value = "0";
        }
        control("speaker_organisation").value = person.group_id ? "" : person.organisation || "";
      }
    });
  }

  function setupAnswerer() {
    var input = control("answerer_name");
    if (!input) {
      return;
    }
    var officials = initial.officials || [];
    new Combo(input, {
      delay: SEARCH_DELAY,
      onFocus: true,
      source: function (term, done) {
        var folded = fold(term);
        if (!folded) {
          done(officials);
          return;
        }
        var words = folded.split(" ");
        var local = officials.filter(function (person) {
          var haystack = fold(person.label);
          return words.every(function (word) {
            return haystack.indexOf(word) !== -1;
          });
        });
        if (folded.replace(/ /g, "").length < 2) {
          done(local);
          return;
        }
        fetchPeople("answerer", term, function (found) {
          done(found.length ? found : local);
        });
      },
      render: function (person) {
        return { main: person.label, detail: person.group || person.organisation || "", official: person.official };
      },
      typed: function () {
        control("answerer_attendee_id").value = "";
      },
      pick: function (person) {
        input.value = person.label;
        control("answerer_attendee_id").value = person.attendee_id || "";
      }
    });
  }

  var areaCombo = null;

  function setupArea() {
    var select = control("procedure_area_id");
    if (!select) {
      return;
    }
    var options = [];
    Array.prototype.forEach.call(select.options, function (option) {
      if (option.value === "0") {
        return;
      }
      var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : "";
      var code = option.text.split(" · ")[0];
      options.push({ id: option.value, label: option.text, group: group, code: fold(code), folded: fold(option.text + " " + group) });
    });
    var input = element("input");
    input.type = "text";
    input.id = "area-search";
    input.className = "area-search";
    input.placeholder = text("AreaPlaceholder");
    input.autocomplete = "off";
    input.spellcheck = false;
    select.parentNode.insertBefore(input, select);
    select.hidden = true;
    select.tabIndex = -1;
    var label = select.parentNode.querySelector('label[for="procedure_area_id"]');
    if (label) {
      label.htmlFor = "area-search";
    }

    function matches(term) {
      var folded = fold(term);
      if (!folded) {
        return options.slice();
      }
      var words = folded.split(" ");
      var found = options.filter(function (option) {
        return words.every(function (word) {
          return option.folded.indexOf(word) !== -1;
        });
      });
      // A code typed in full comes first: "dd" is Đất đai before "Thủ tục đặc biệt".
      return found.sort(function (a, b) {
        var rank = function (option) {
          return option.code === folded ? 0 : option.code.indexOf(folded) === 0 ? 1 : 2;
        };
        return rank(a) - rank(b);
      });
    }

    function selected() {
      for (var i = 0; i < options.length; i += 1) {
        if (options[i].id === select.value) {
          return options[i];
        }
      }
      return null;
    }

    var combo = new Combo(input, {
      onFocus: true,
      autoHighlight: true,
      empty: text("NoArea"),
      source: function (term, done) {
        var chosen = selected();
        done(matches(chosen && chosen.label === term ? "" : term));
      },
      render: function (option) {
        return { main: option.label, detail: option.group };
      },
      pick: function (option) {
        select.value = option.id;
        input.value = option.label;
      },
      left: function () {
        commit();
        saveDraft();
      }
    });

    /* What was typed but not picked: one match (or a code typed in full) is taken. */
    function commit() {
      var term = input.value;
      var chosen = selected();
      if (!fold(term)) {
        select.value = "0";
      } else if (!chosen || chosen.label !== term) {
        var found = matches(term);
        if (found.length === 1 || (found.length && found[0].code === fold(term))) {
          select.value = found[0].id;
        }
      }
      sync();
    }

    function sync() {
      var chosen = selected();
      input.value = chosen ? chosen.label : "";
    }

    areaCombo = { input: input, sync: sync, close: combo.close, commit: commit };
    sync();
  }

  /* -- the running list --------------------------------------------------------------------- */

  var list = document.getElementById("turn-list");
  var countBox = document.getElementById("turn-count");
  var withdrawing = null;

  function optionText(name, value) {
    var select = control(name);
    if (!select || !value || value === "0") {
      return "";
    }
    for (var i = 0; i < select.options.length; i += 1) {
      if (select.options[i].value === String(value)) {
        return select.options[i].text;
      }
    }
    return "";
  }

  function outcomeTitle(value) {
    return text("Outcome" + value.charAt(0).toUpperCase() + value.slice(1));
  }

  function formatDate(iso) {
    if (!iso) {
      return "";
    }
    var parts = iso.split("-");
    return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : iso;
  }

  /* What a turn (or a waiting save) shows, from a payload or from what the form sent. */
  function shownTurn(source, fromForm) {
    if (!fromForm) {
      return {
        speaker: source.speaker,
        who: source.group || source.organisation,
        area: source.area ? source.area.code : "",
        areaName: source.area ? source.area.name : "",
        question: source.question,
        outcome: source.outcome,
        answerer: source.answerer,
        answer: source.answer,
        unit: source.referral ? source.referral.unit : "",
        due: source.referral ? source.referral.due : ""
      };
    }
    var area = optionText("procedure_area_id", source.procedure_area_id);
    return {
      speaker: source.speaker_name,
      who: optionText("speaker_group_id", source.speaker_group_id) || source.speaker_organisation,
      area: area.split(" · ")[0],
      areaName: area,
      question: source.question,
      outcome: source.outcome || "pending",
      answerer: source.answerer_name,
      answer: source.outcome === "pending" ? "" : source.answer,
      unit: source.outcome === "referred" ? optionText("referral_unit_id", source.referral_unit_id) : "",
      due: source.outcome === "referred" ? source.referral_due_date : ""
    };
  }

  function turnBody(node, shown, number) {
    var head = element("div", "turn-head");
    head.appendChild(element("span", "turn-number", number === null ? "—" : String(number)));
    var who = element("span", "turn-who");
    who.appendChild(element("strong", "turn-speaker", shown.speaker || "—"));
    if (shown.who) {
      who.appendChild(document.createTextNode(" "));
      who.appendChild(element("span", "turn-group", "· " + shown.who));
    }
    head.appendChild(who);
    if (shown.area) {
      var area = element("span", "turn-area", shown.area);
      area.title = shown.areaName || "";
      head.appendChild(area);
    }
    head.appendChild(element("span", "outcome outcome-" + shown.outcome, outcomeTitle(shown.outcome)));
    node.appendChild(head);
    node.appendChild(element("p", "turn-question", shown.question));
    if (shown.answer) {
      var answer = element("p", "turn-answer");
      if (shown.answerer) {
        answer.appendChild(element("span", "turn-answerer", shown.answerer + ":"));
        answer.appendChild(document.createTextNode(" "));
      }
      answer.appendChild(document.createTextNode(shown.answer));
      node.appendChild(answer);
    }
    if (shown.outcome === "referred") {
      var referral = "→ " + (shown.unit || "");
      if (shown.due) {
        referral += ", " + text("Due", { date: formatDate(shown.due) });
      }
      node.appendChild(element("p", "turn-referral", referral));
    }
  }

  function itemNote(item) {
    if (item.id === inFlight) {
      return { text: text("Sending"), level: "sending" };
    }
    if (item.state === "closed") {
      return { text: text("ClosedItem"), level: "error" };
    }
    if (item.state === "error") {
      return { text: text("NeedsFix", { message: item.message || "" }), level: "error" };
    }
    if (item.state === "conflict") {
      return { text: item.message || "", level: "conflict" };
    }
    return { text: item.kind === "create" ? text("NotSent") : text("EditNotSent"), level: "waiting" };
  }

  function turnNode(turn, number) {
    var node = element("li", "turn" + (turn.withdrawn ? " is-withdrawn" : ""));
    node.id = "turn-" + turn.id;
    node.dataset.turnId = turn.id;
    var waiting = pendingEditOf(turn.id);
    // A change on its way is shown as it will be; one refused or in conflict is not (yet) so.
    var shownChange = waiting && waiting.state === "waiting";
    turnBody(node, shownChange ? shownTurn(waiting.data, true) : shownTurn(turn, false), number);
    if (turn.withdrawn) {
      node.appendChild(element("p", "turn-withdrawn", text("WithdrawnReason", { reason: turn.withdrawn_reason || "" })));
    }
    if (waiting) {
      var note = itemNote(waiting);
      node.classList.add("has-waiting");
      node.appendChild(element("p", "turn-note note-" + note.level, note.text));
    }
    if (canWrite) {
      node.tabIndex = 0;
      node.setAttribute("aria-label", (number === null ? "—" : number) + ". " + (turn.question || "").slice(0, 80));
      var actions = element("div", "turn-actions");
      actions.appendChild(
        button(text("Edit"), "", function () {
          loadTurn(turn.id);
        })
      );
      actions.appendChild(button("↑", "move-up", function () { move(turn.id, "up"); }, text("Up")));
      actions.appendChild(button("↓", "move-down", function () { move(turn.id, "down"); }, text("Down")));
      if (turn.withdrawn) {
        actions.appendChild(
          button(text("Restore"), "", function () {
            restore(turn.id);
          })
        );
      } else {
        actions.appendChild(
          button(text("Withdraw"), "danger", function () {
            withdrawing = { turnId: turn.id, reason: "" };
            renderList();
            var reason = document.getElementById("reason-" + turn.id);
            if (reason) {
              reason.focus();
            }
          })
        );
      }
      node.appendChild(actions);
      if (withdrawing && withdrawing.turnId === turn.id) {
        node.appendChild(withdrawBox(turn.id));
      }
    }
    if (mode.kind === "turn" && mode.turn_id === turn.id) {
      node.classList.add("is-editing");
    }
    return node;
  }

  function withdrawBox(turnId) {
    var box = element("div", "withdraw-inline");
    var label = element("label", "label", text("Reason"));
    label.htmlFor = "reason-" + turnId;
    var input = element("input");
    input.type = "text";
    input.id = "reason-" + turnId;
    input.maxLength = 500;
    input.value = withdrawing.reason;
    input.addEventListener("input", function () {
      withdrawing.reason = input.value;
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        withdraw(turnId, input.value);
      } else if (event.key === "Escape") {
        event.preventDefault();
        withdrawing = null;
        renderList();
        focusTurn(turnId);
      }
    });
    box.appendChild(label);
    box.appendChild(input);
    var buttons = element("div", "actions");
    buttons.appendChild(
      button(text("Withdraw"), "danger", function () {
        withdraw(turnId, input.value);
      })
    );
    buttons.appendChild(
      button(text("Cancel"), "", function () {
        withdrawing = null;
        renderList();
        focusTurn(turnId);
      })
    );
    box.appendChild(buttons);
    if (withdrawing.error) {
      var error = element("p", "error", withdrawing.error);
      error.setAttribute("role", "alert");
      box.appendChild(error);
    }
    return box;
  }

  function queuedNode(item) {
    var node = element("li", "turn is-queued");
    node.id = "queued-" + item.id;
    node.dataset.itemId = item.id;
    node.dataset.clientKey = item.client_key;
    turnBody(node, shownTurn(item.data, true), null);
    var note = itemNote(item);
    node.appendChild(element("p", "turn-note note-" + note.level, note.text));
    if (canWrite) {
      node.tabIndex = 0;
      var actions = element("div", "turn-actions");
      if (item.id !== inFlight) {
        actions.appendChild(
          button(text("Edit"), "", function () {
            loadItem(item);
          })
        );
      }
      if (item.state === "error" || item.state === "closed") {
        actions.appendChild(
          button(text("Discard"), "danger", function () {
            if (window.confirm(text("DiscardConfirm"))) {
              removeItem(item.id);
              renderList();
              showNet();
            }
          })
        );
      }
      node.appendChild(actions);
    }
    if (mode.kind === "item" && mode.item_id === item.id) {
      node.classList.add("is-editing");
    }
    return node;
  }

  function focusTurn(turnId) {
    var node = document.getElementById("turn-" + turnId);
    if (node) {
      node.focus();
    }
  }

  function renderList() {
    if (!list) {
      return;
    }
    // Keep the focus where it was across the redraw.
    var active = document.activeElement;
    var focusKey = null;
    if (active && list.contains(active)) {
      var holder = active.closest("li");
      if (holder) {
        focusKey = [holder.id, active === holder ? "" : active.className.split(" ").pop(), active.id || ""];
      }
    }
    var fragment = document.createDocumentFragment();
    var count = 0;
    orderedTurns().forEach(function (turn) {
      var number = null;
      if (!turn.withdrawn) {
        count += 1;
        number = count;
      }
      fragment.appendChild(turnNode(turn, number));
    });
    outbox.forEach(function (item) {
      if (item.kind === "create" && !turnByKey(item.client_key)) {
        fragment.appendChild(queuedNode(item));
      }
    });
    if (!fragment.childNodes.length) {
      fragment.appendChild(element("li", "turn-empty muted", text("NoTurns")));
    }
    list.textContent = "";
    list.appendChild(fragment);
    if (countBox) {
      countBox.textContent = String(count);
    }
    if (focusKey) {
      var again = document.getElementById(focusKey[0]);
      var target = null;
      if (again && focusKey[2]) {
        target = document.getElementById(focusKey[2]);
      }
      if (again && !target && focusKey[1]) {
        target = again.querySelector("." + focusKey[1]);
      }
      (target || again || list).focus();
    }
    showHeading();
  }

  if (list) {
    list.addEventListener("keydown", function (event) {
      var item = event.target;
      if (event.key !== "Enter" || !item.classList || !item.classList.contains("turn")) {
        return;
      }
      event.preventDefault();
      if (item.dataset.turnId) {
        loadTurn(Number(item.dataset.turnId));
      } else if (item.dataset.itemId) {
        var queued = findItem(item.dataset.itemId);
        if (queued && queued.id !== inFlight) {
          loadItem(queued);
        }
      }
    });
  }

  /* -- moving, withdrawing, restoring (answered at once, not queued) ------------------------ */

  function act(url, body, done) {
    return post(url, body).then(
      function (answer) {
        if (answer.body && answer.body.ok) {
          done(answer.body);
          renderList();
          return true;
        }
        if (answer.body && answer.body.order) {
          applyOrder(answer.body.order);
          renderList();
        }
        say((answer.body && answer.body.message) || text("Failed"), "error");
        return false;
      },
      function (problem) {
        say(problem && problem.kind === "expired" ? text("SignedOut") : text("Failed"), "error");
        return false;
      }
    );
  }

  function move(turnId, direction) {
    act(root.dataset.orderUrl, { turn_id: turnId, direction: direction }, function (body) {
      (body.turns || []).forEach(upsertTurn);
      applyOrder(body.order);
    }).then(function () {
      var node = document.getElementById("turn-" + turnId);
      var again = node && node.querySelector(direction === "up" ? ".move-up" : ".move-down");
      if (again) {
        again.focus();
      }
    });
  }

  function withdraw(turnId, reason) {
    if (!reason.trim()) {
      withdrawing = { turnId: turnId, reason: reason, error: text("ReasonNeeded") };
      renderList();
      var input = document.getElementById("reason-" + turnId);
      if (input) {
        input.focus();
      }
      return;
    }
    act(urlFor("withdraw", turnId), { reason: reason }, function (body) {
      withdrawing = null;
      upsertTurn(body.turn);
    }).then(function (done) {
      if (done) {
        focusTurn(turnId);
      }
    });
  }

  function restore(turnId) {
    act(urlFor("restore", turnId), {}, function (body) {
      upsertTurn(body.turn);
    }).then(function () {
      focusTurn(turnId);
    });
  }

  /* -- both versions of a turn -------------------------------------------------------------- */

  var conflictBox = document.getElementById("conflict");
  var ROWS = [
    ["speaker", "Speaker"],
    ["who", ""],
    ["areaName", "Area"],
    ["question", "Question"],
    ["outcome", "Outcome"],
    ["answerer", "Answerer"],
    ["answer", "Answer"],
    ["unit", "Unit"],
    ["due", "DueDate"]
  ];

  function versionColumn(title, shown, other) {
    var column = element("div", "conflict-version");
    column.appendChild(element("h4", null, title));
    var dl = element("dl", "facts turn-read");
    ROWS.forEach(function (row) {
      var key = row[0];
      var value = key === "outcome" ? outcomeTitle(shown.outcome) : key === "due" ? formatDate(shown.due) : shown[key];
      var otherValue = key === "outcome" ? outcomeTitle(other.outcome) : key === "due" ? formatDate(other.due) : other[key];
      if (!value && !otherValue) {
        return;
      }
      var label = fieldLabel(key);
      var dt = element("dt", null, label);
      var dd = element("dd", "kept-text", value || "—");
      if ((value || "") !== (otherValue || "")) {
        dt.className = "differs";
        dd.className += " differs";
      }
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    column.appendChild(dl);
    return column;
  }

  function fieldLabel(key) {
    var names = {
      speaker: "speaker_name",
      who: "speaker_group_id",
      areaName: "procedure_area_id",
      question: "question",
      outcome: "outcome",
      answerer: "answerer_name",
      answer: "answer",
      unit: "referral_unit_id",
      due: "referral_due_date"
    };
    var label = form ? form.querySelector('label[for="' + names[key] + '"], #' + names[key] + " legend") : null;
    if (key === "areaName" && areaCombo) {
      label = form.querySelector('label[for="area-search"]');
    }
    return label ? label.textContent.replace("*", "").trim() : key;
  }

  function showConflict() {
    if (!conflictBox) {
      return;
    }
    var item = null;
    outbox.forEach(function (each) {
      if (!item && each.state === "conflict") {
        item = each;
      }
    });
    conflictBox.textContent = "";
    if (!item || !item.theirs) {
      conflictBox.hidden = true;
      showMerging();
      return;
    }
    conflictBox.hidden = false;
    conflictBox.setAttribute("role", "alert");
    conflictBox.appendChild(element("p", "conflict-message", item.message || ""));
    var mine = shownTurn(item.data, true);
    var theirs = shownTurn(item.theirs, false);
    var grid = element("div", "conflict-grid");
    grid.appendChild(versionColumn(text("ConflictMine"), mine, theirs));
    grid.appendChild(versionColumn(text("ConflictTheirs", { name: item.theirs.updated_by || text("Someone") }), theirs, mine));
    conflictBox.appendChild(grid);
    var actions = element("div", "actions");
    actions.appendChild(
      button(text("KeepMine"), "primary keep-mine", function () {
        item.base_version = item.theirs.version;
        item.state = "waiting";
        item.theirs = null;
        item.message = null;
        item.announce = true;
        saveOutbox();
        showConflict();
        renderList();
        flush();
      })
    );
    actions.appendChild(
      button(text("TakeTheirs"), "take-theirs", function () {
        removeItem(item.id);
        showConflict();
        renderList();
        showNet();
      })
    );
    actions.appendChild(
      button(text("Merge"), "merge", function () {
        var theirsNow = item.theirs;
        if (!enterEdit({ kind: "turn", turn_id: theirsNow.id, base_version: theirsNow.version }, item.data)) {
          return;
        }
        loadedValues = {}; // what is in the form is saved nowhere else now: never dropped silently
        merging = theirsNow;
        removeItem(item.id);
        writeDraft();
        showConflict();
        renderList();
        showNet();
        focusQuestionOrSpeaker();
      })
    );
    conflictBox.appendChild(actions);
    var first = actions.querySelector("button");
    if (first && !form.contains(document.activeElement)) {
      first.focus();
    }
  }

  /* While merging, their version stays beside the form for reference. */
  function showMerging() {
    if (!conflictBox || !conflictBox.hidden) {
      return;
    }
    var box = document.getElementById("merging");
    if (!merging || mode.kind !== "turn") {
      if (box) {
        box.remove();
      }
      return;
    }
    if (!box) {
      box = element("div", "conflict merging");
      box.id = "merging";
      conflictBox.parentNode.insertBefore(box, conflictBox.nextSibling);
    }
    box.textContent = "";
    var theirs = shownTurn(merging, false);
    box.appendChild(versionColumn(text("ConflictTheirs", { name: merging.updated_by || text("Someone") }), theirs, theirs));
  }

  /* -- the state of the connection ---------------------------------------------------------- */

  var netBox = document.getElementById("net-state");
  var liveBox = document.getElementById("live-state");
  var liveStatus = null;

  function showNet() {
    if (!netBox) {
      return;
    }
    var waiting = waitingCount();
    var parts = [];
    var level = "online";
    if (signedOut) {
      parts.push(text("SignedOut"));
      level = "offline";
    } else if (offline || navigator.onLine === false) {
      parts.push(text("Offline"));
      level = "offline";
    } else if (inFlight) {
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
      var lost = liveStatus === "reconnecting" || liveStatus === "offline";
      liveBox.textContent = lost ? text("LiveLost") : "";
    }
  }

  // Another tab of the same secretary sent or queued something: one outbox for both.
  window.addEventListener("storage", function (event) {
    if (event.key !== OUTBOX_KEY || flushing) {
      return;
    }
    var fresh = store.read(OUTBOX_KEY, []);
    outbox = Array.isArray(fresh) ? fresh : [];
    renderList();
    showConflict();
    showNet();
  });

  window.addEventListener("online", function () {
    offline = false;
    retryDelay = RETRY_FIRST;
    showNet();
    flush();
  });
  window.addEventListener("offline", function () {
    offline = true;
    showNet();
  });

  /* -- following the others ----------------------------------------------------------------- */

  var moderation = function (name, value) {
    if (window.DialogueModeration && typeof window.DialogueModeration[name] === "function") {
      window.DialogueModeration[name](value);
    }
  };

  function onSnapshot(snapshot) {
    if (!snapshot) {
      return;
    }
    replaceTurns(snapshot.turns);
    renderList();
    showConflict();
    moderation("load", snapshot);
    flush();
  }

  function onEvent(event) {
    if (!event) {
      return;
    }
    var kind = event.kind;
    if (event.turn && kind && kind.indexOf("turn.") === 0) {
      var before = turns[event.turn.id];
      upsertTurn(event.turn);
      noticeChange(event.turn, before);
      renderList();
    } else if (kind === "turns.reordered") {
      applyOrder(event.order);
      renderList();
    } else if (kind === "conference.closed") {
      say(text("ConferenceClosed"), "warning");
    }
    moderation("apply", event);
  }

  function noticeChange(turn, before) {
    if (mode.kind !== "turn" || mode.turn_id !== turn.id || !before) {
      return;
    }
    if (turn.version > mode.base_version) {
      say(text("ChangedMeanwhile", { name: turn.updated_by || text("Someone") }), "warning");
    }
  }

  function follow() {
    var streamUrl = root.dataset.streamUrl;
    var snapshotUrl = root.dataset.snapshotUrl;
    if (window.DialogueFeed && streamUrl && snapshotUrl) {
      window.DialogueFeed.connect({
        streamUrl: streamUrl,
        snapshotUrl: snapshotUrl,
        after: initial.seq,
        onSnapshot: onSnapshot,
        onEvent: onEvent,
        onStatus: function (status) {
          liveStatus = status;
          moderation("setLive", status === "live");
          if (status === "live" && waitingCount()) {
            // The server answers again: what waits is sent now, not at the next retry.
            offline = false;
            flush();
          }
          showNet();
        }
      });
      return;
    }
    // Without the live feed the list is asked for now and then.
    setInterval(function () {
      if (document.hidden) {
        return;
      }
      fetch(root.dataset.turnsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(
          function (body) {
            if (body && body.ok) {
              onSnapshot({ turns: body.turns, seq: body.seq });
            }
          },
          function () {}
        );
    }, POLL_INTERVAL);
  }

  /* -- starting ----------------------------------------------------------------------------- */

  replaceTurns(initial.turns);

  if (form) {
    setupSpeaker();
    setupAnswerer();
    setupArea();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      save();
    });
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.defaultPrevented) {
        return;
      }
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        save();
        return;
      }
      // Enter in a one-line field goes to the next field; only Ctrl+Enter saves.
      var target = event.target;
      if (target.tagName === "INPUT" && target.type !== "submit" && !event.shiftKey && !event.altKey) {
        event.preventDefault();
        nextField(target);
      }
    });
    form.addEventListener("input", saveDraft);
    form.addEventListener("change", function (event) {
      if (event.target.name === "outcome") {
        showOutcome();
      }
      saveDraft();
    });
    var cancel = document.getElementById("cancel-edit");
    if (cancel) {
      cancel.addEventListener("click", function (event) {
        event.preventDefault();
        loadedValues = null;
        leaveEdit();
        renderList();
        focusSpeaker();
      });
    }
    var clear = document.getElementById("clear-button");
    if (clear) {
      clear.addEventListener("click", function () {
        startNew();
        focusSpeaker();
      });
    }

    var draft = store.read(DRAFT_KEY, null);
    var editingOnPage = form.dataset.editing ? Number(form.dataset.editing) : null;
    if (editingOnPage && turns[editingOnPage]) {
      // The page was opened to edit a turn (its own address).
      mode = { kind: "turn", turn_id: editingOnPage, base_version: Number(control("version").value) || turns[editingOnPage].version };
      clientKey = newKey();
      if (draft && draft.mode && draft.mode.kind === "new" && !formIsBlank(draft.values)) {
        stash = { client_key: draft.client_key, values: draft.values };
      }
      loadedValues = readForm();
      showOutcome();
      writeDraft();
      // From now on the draft remembers the edit: a reload must not bring the old text back.
      if (window.history.replaceState) {
        window.history.replaceState(null, "", root.dataset.consoleUrl);
      }
    } else if (draft && draft.mode) {
      mode = draft.mode;
      clientKey = draft.client_key || newKey();
      stash = draft.stash || null;
      merging = draft.merging || null;
      if (mode.kind === "turn" && !turns[mode.turn_id]) {
        mode = { kind: "new" };
      }
      if (mode.kind === "item" && !findItem(mode.item_id)) {
        mode = { kind: "new" };
      }
      clearErrors();
      writeForm(draft.values);
      // An edit brought back from before the reload is never dropped without being saved.
      loadedValues = mode.kind === "new" ? null : {};
    } else {
      startNew();
    }
    showOutcome();
    showHeading();
    showMerging();
    if (!editingOnPage || !document.querySelector("#server-conflict")) {
      focusSpeaker();
    }
  }

  renderList();
  showConflict();
  showNet();
  follow();
  flush();
})();
