/* The form and its keyboard: what is typed is kept as a draft in localStorage (a reload does
 * not lose it), checked against the server's rules, and saved with Ctrl+Enter through the
 * outbox, the form emptied at once for the next turn. A turn, or a save still waiting, is
 * edited in the same form; the turn being typed is set aside meanwhile. */

import { areaCombo, closeCombos, lookUpSpeakerAgain, setupCombos } from "./combos.js";
import { findItem, flushNow, pendingEditOf, saveOutbox, turnByKeyOfItem } from "./outbox.js";
import { DRAFT_KEY, canWrite, element, initial, newKey, root, say, state, store, text } from "./shared.js";
import { numberOf, turnById } from "./turns.js";

const DRAFT_DELAY = 250;
const FIELDS = [
  "speaker_attendee_id",
  "speaker_unchecked",
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
const TEXT_FIELDS = ["speaker_name", "speaker_organisation", "question", "answerer_name", "answer", "referral_note"];

export const form = document.getElementById("turn-form");
const heading = document.getElementById("form-heading");
let clientKey = null;
let stash = null;
let draftTimer = null;

/* What the form redraws beside itself (the list, their version while merging); main.js
 * passes them in. */
let ui = null;

export function control(name) {
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
    speaker_unchecked: "",
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

export function formIsBlank(values) {
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
    var described = (node.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && !/-error$/.test(id);
    });
    if (described.length) {
      node.setAttribute("aria-describedby", described.join(" "));
    } else {
      node.removeAttribute("aria-describedby");
    }
  });
  var general = document.getElementById("form-errors");
  if (general) {
    general.remove();
  }
}

/* The control that shows a field's message: the area's search field, the first radio. */
function errorControl(name) {
  if (name && !control(name)) {
    // An operation's name for a field ("answerer", "procedure_area") is the form's.
    name = control(name + "_name") ? name + "_name" : control(name + "_id") ? name + "_id" : null;
  }
  var field = name ? control(name) : null;
  if (field && field.length && !field.tagName) {
    field = field[0]; // the outcome radios
  }
  if (name === "procedure_area_id" && areaCombo) {
    field = areaCombo.input;
  }
  return field && field.closest && field.closest(".field") ? field : null;
}

function fieldLabel(field) {
  var box = field.closest(".field");
  var label = box ? box.querySelector("label.label, legend, label") : null;
  return label ? label.textContent.replace("*", "").trim() : field.name;
}

/* Every problem beside its field, in the order of the form, the first one focused; the status
 * line lists them (and so claims no success meanwhile). */
export function showErrors(problems) {
  clearErrors();
  var shown = [];
  var elsewhere = [];
  problems.forEach(function (problem) {
    var field = errorControl(problem.field);
    if (!field) {
      elsewhere.push(problem.message);
      return;
    }
    var box = field.closest(".field");
    if (!box.classList.contains("has-error")) {
      shown.push({ field: field, label: fieldLabel(field) });
    }
    box.classList.add("has-error");
    field.setAttribute("aria-invalid", "true");
    var note = element("p", "error", problem.message);
    note.id = field.id + "-error";
    if (document.getElementById(note.id)) {
      document.getElementById(note.id).textContent += " " + problem.message;
      return;
    }
    box.appendChild(note);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
  });
  var formOrder = Array.prototype.slice.call(form.elements);
  shown.sort(function (a, b) {
    return formOrder.indexOf(a.field) - formOrder.indexOf(b.field);
  });
  var summary = shown.map(function (each) {
    return each.label;
  });
  if (summary.length) {
    say(text("FixFields", { fields: summary.join(", ") }) + (elsewhere.length ? " " + elsewhere.join(" ") : ""), "error");
    shown[0].field.focus();
  } else if (elsewhere.length) {
    say(elsewhere.join(" "), "error");
  }
}

export function formHasErrors() {
  return Boolean(form && form.querySelector(".field.has-error"));
}

/* The rules the server applies, checked here first so a turn is not queued to be refused:
 * every problem at once, in the order of the form. */
function problemsWith(values) {
  var problems = [];
  if (!values.question.trim()) {
    problems.push({ field: "question", message: text("QuestionNeeded") });
  }
  if (values.outcome === "answered") {
    if (!values.answerer_name.trim() && !values.answerer_attendee_id) {
      problems.push({ field: "answerer_name", message: text("AnswererNeeded") });
    }
    if (!values.answer.trim()) {
      problems.push({ field: "answer", message: text("AnswerNeeded") });
    }
  }
  if (values.outcome === "referred") {
    if (!values.referral_unit_id || values.referral_unit_id === "0") {
      problems.push({ field: "referral_unit_id", message: text("UnitNeeded") });
    }
    if (values.referral_due_date && values.referral_due_date < root.dataset.conferenceDate) {
      problems.push({ field: "referral_due_date", message: text("DueEarly") });
    }
  }
  return problems;
}

/* What the server said was wrong with a save: {field: [messages]} or one message. */
function problemsOf(item) {
  var problems = [];
  Object.keys(item.errors || {}).forEach(function (name) {
    (item.errors[name] || []).forEach(function (message) {
      problems.push({ field: name, message: message });
    });
  });
  if (!problems.length && item.message) {
    // Beside its field; said above the form, it says that nothing was saved.
    problems.push({ field: item.field, message: item.field ? item.message : text("NeedsFix", { message: item.message }) });
  }
  return problems;
}

export function showHeading() {
  if (!heading) {
    return;
  }
  if (state.mode.kind === "turn") {
    heading.textContent = text("EditTurn", { n: numberOf(state.mode.turn_id) || "—" });
  } else if (state.mode.kind === "item") {
    heading.textContent = text("EditWaiting");
  } else {
    heading.textContent = text("NewTurn");
  }
  var cancel = document.getElementById("cancel-edit");
  if (cancel) {
    cancel.hidden = state.mode.kind === "new";
  }
  var clear = document.getElementById("clear-button");
  if (clear) {
    clear.hidden = state.mode.kind !== "new";
  }
  Array.prototype.forEach.call(document.querySelectorAll(".turn.is-editing"), function (node) {
    node.classList.remove("is-editing");
  });
  if (state.mode.kind === "turn") {
    var editing = document.getElementById("turn-" + state.mode.turn_id);
    if (editing) {
      editing.classList.add("is-editing");
    }
  }
}

function saveDraft() {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(writeDraft, DRAFT_DELAY);
}

export function writeDraft() {
  clearTimeout(draftTimer);
  draftTimer = null;
  if (!form) {
    return;
  }
  var values = readForm();
  var keep = state.mode.kind !== "new" || !formIsBlank(values) || stash;
  store.write(
    DRAFT_KEY,
    keep ? { mode: state.mode, client_key: clientKey, values: values, stash: stash, merging: state.merging } : null
  );
}

function startNew(values) {
  state.mode = { kind: "new" };
  clientKey = newKey();
  state.merging = null;
  clearErrors();
  writeForm(values || null);
  showHeading();
  ui.showMerging();
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
export function enterEdit(newMode, values) {
  if (!form) {
    return false;
  }
  if (state.mode.kind !== "new") {
    if (!sameMode(state.mode, newMode) && isDirty()) {
      say(text("FormBusy"), "warning");
      return false;
    }
  } else if (!formIsBlank()) {
    stash = { client_key: clientKey, values: readForm() };
  }
  state.mode = newMode;
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

function isDirty() {
  return state.loadedValues !== null && JSON.stringify(readForm()) !== JSON.stringify(state.loadedValues);
}

function turnValues(turn) {
  return {
    speaker_attendee_id: turn.speaker_attendee_id || "",
    speaker_unchecked: "",
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

export function loadTurn(turnId) {
  var turn = turnById(turnId);
  if (!turn || !canWrite) {
    return;
  }
  var waiting = pendingEditOf(turnId);
  var values = waiting ? waiting.data : turnValues(turn);
  var base = waiting ? waiting.base_version : turn.version;
  if (enterEdit({ kind: "turn", turn_id: turnId, base_version: base }, values)) {
    state.loadedValues = readForm();
    if (waiting && waiting.state === "error" && (waiting.message || waiting.errors)) {
      // A change set aside: why, beside its field.
      showErrors(problemsOf(waiting));
    } else {
      focusQuestionOrSpeaker();
    }
  }
}

/* Back to the new turn (Alt+↓ past the last one), unless a change would be lost. */
export function stopEditing() {
  if (state.mode.kind === "new") {
    return true;
  }
  if (isDirty()) {
    say(text("FormBusy"), "warning");
    return false;
  }
  state.loadedValues = null;
  leaveEdit();
  ui.renderList();
  focusSpeaker();
  return true;
}

export function loadItem(item) {
  if (enterEdit({ kind: "item", item_id: item.id }, item.data)) {
    state.loadedValues = readForm();
    if (item.state === "error" && (item.message || item.errors)) {
      showErrors(problemsOf(item));
    } else {
      focusQuestionOrSpeaker();
    }
  }
}

export function focusQuestionOrSpeaker() {
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
  var problems = problemsWith(values);
  if (problems.length) {
    showErrors(problems);
    return;
  }
  if ((state.offline || navigator.onLine === false) && values.speaker_name.trim() && !values.speaker_attendee_id) {
    // Saved without a connection: the name was never looked up, whatever the list said last.
    values.speaker_unchecked = "y";
  }
  say("");
  var item = null;
  if (state.mode.kind === "new") {
    // The moment it was spoken, as near as the console knows: when it is saved.
    item = { id: newKey(), kind: "create", client_key: clientKey, data: values, saved_at: new Date().toISOString() };
    state.outbox.push(item);
    state.reveal = { client_key: clientKey };
  } else if (state.mode.kind === "turn") {
    state.reveal = { turn_id: state.mode.turn_id };
    item = pendingEditOf(state.mode.turn_id);
    if (item && item.id !== state.inFlight) {
      item.data = values;
    } else {
      item = { id: newKey(), kind: "update", turn_id: state.mode.turn_id, base_version: state.mode.base_version, data: values };
      state.outbox.push(item);
    }
  } else {
    var queued = findItem(state.mode.item_id);
    if (queued && queued.id !== state.inFlight) {
      item = queued;
      item.data = values;
    } else if (queued && queued.kind === "create") {
      // Its first save is on the way: this edit follows it as a change of version 1.
      item = { id: newKey(), kind: "update", turn_key: queued.client_key, base_version: 1, data: values };
      state.outbox.push(item);
    } else if (queued) {
      item = { id: newKey(), kind: "update", turn_id: queued.turn_id, base_version: queued.base_version, data: values };
      state.outbox.push(item);
    } else {
      var known = turnByKeyOfItem(state.mode.item_id);
      item = known
        ? { id: newKey(), kind: "update", turn_id: known.id, base_version: known.version, data: values }
        : { id: newKey(), kind: "create", client_key: newKey(), data: values, saved_at: new Date().toISOString() };
      state.outbox.push(item);
    }
    state.reveal = item.kind === "create" ? { client_key: item.client_key } : item.turn_id ? { turn_id: item.turn_id } : null;
  }
  // Saved again (corrected or not): sent as a new save, its server errors forgotten.
  item.state = "waiting";
  item.message = null;
  item.field = null;
  item.errors = null;
  item.status = null;
  item.failures = 0;
  item.retry_at = null;
  item.theirs = null;
  item.announce = true;
  saveOutbox();
  state.loadedValues = null;
  if (state.mode.kind === "new") {
    startNew();
  } else {
    leaveEdit();
  }
  ui.renderList();
  flushNow();
  focusSpeaker();
}

/* Set up the form's combos and keys, then bring back the draft or the turn the page opened. */
export function initForm(callbacks) {
  ui = callbacks;
  if (!form) {
    return;
  }
  setupCombos(form, saveDraft);
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
  // A reload or a closed tab within the draft's delay would lose the last keystrokes: the page
  // being left writes what is still waiting.
  window.addEventListener("pagehide", function () {
    if (draftTimer !== null) {
      writeDraft();
    }
  });
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
      state.loadedValues = null;
      leaveEdit();
      ui.renderList();
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
  if (editingOnPage && turnById(editingOnPage)) {
    // The page was opened to edit a turn (its own address).
    state.mode = { kind: "turn", turn_id: editingOnPage, base_version: Number(control("version").value) || turnById(editingOnPage).version };
    clientKey = newKey();
    if (draft && draft.mode && draft.mode.kind === "new" && !formIsBlank(draft.values)) {
      stash = { client_key: draft.client_key, values: draft.values };
    }
    state.loadedValues = readForm();
    showOutcome();
    writeDraft();
    // From now on the draft remembers the edit: a reload must not bring the old text back.
    if (window.history.replaceState) {
      window.history.replaceState(null, "", root.dataset.consoleUrl);
    }
  } else if (draft && draft.mode) {
    state.mode = draft.mode;
    clientKey = draft.client_key || newKey();
    stash = draft.stash || null;
    state.merging = draft.merging || null;
    if (state.mode.kind === "turn" && !turnById(state.mode.turn_id)) {
      state.mode = { kind: "new" };
    }
    if (state.mode.kind === "item" && !findItem(state.mode.item_id)) {
      state.mode = { kind: "new" };
    }
    clearErrors();
    writeForm(draft.values);
    lookUpSpeakerAgain();
    // An edit brought back from before the reload is never dropped without being saved.
    state.loadedValues = state.mode.kind === "new" ? null : {};
  } else {
    startNew();
  }
  showOutcome();
  showHeading();
  ui.showMerging();
  if (!editingOnPage || !document.querySelector("#server-conflict")) {
    focusSpeaker();
  }
}
