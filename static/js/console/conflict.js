/* Both versions of a turn: a save of a turn someone else changed meanwhile comes back as 409
 * with both versions; the secretary keeps their own, takes the other, or merges in the form,
 * and nothing typed is lost. */

import { areaCombo } from "./combos.js";
import { control, enterEdit, focusQuestionOrSpeaker, form, writeDraft } from "./form.js";
import { formatDate, outcomeTitle, renderList, shownTurn } from "./list.js";
import { flush, removeItem, saveOutbox, showNet } from "./outbox.js";
import { button, element, normalText, state, text } from "./shared.js";

const conflictBox = document.getElementById("conflict");
// Where the secretary was when both versions appeared: the focus goes back there once chosen.
let focusBefore = null;
const ROWS = [
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

/* An id as both sides may say it: 7, "7"; none as null, "", 0 or "0". */
function sameId(a, b) {
  var left = a === null || a === undefined || a === "" || String(a) === "0" ? "" : String(a);
  var right = b === null || b === undefined || b === "" || String(b) === "0" ? "" : String(b);
  return left === right;
}

/* Whether the two versions say the same of ``key``: texts as the server keeps them (spaces
 * and line breaks aside), the group, area and unit by their ids, not by how they are named. */
function same(key, shown, other) {
  if (key === "who") {
    return sameId(shown.groupId, other.groupId) && (shown.groupId ? true : normalText(shown.organisation) === normalText(other.organisation));
  }
  if (key === "areaName") {
    return sameId(shown.areaId, other.areaId);
  }
  if (key === "unit") {
    return sameId(shown.unitId, other.unitId) || normalText(shown.unit) === normalText(other.unit);
  }
  return normalText(shown[key]) === normalText(other[key]);
}

function versionColumn(title, shown, other) {
  var column = element("div", "conflict-version");
  column.appendChild(element("h4", null, title));
  var dl = element("dl", "facts turn-read");
  ROWS.forEach(function (row) {
    var key = row[0];
    var value = key === "outcome" ? outcomeTitle(shown.outcome) : key === "due" ? formatDate(shown.due) : shown[key];
    var otherValue = key === "outcome" ? outcomeTitle(other.outcome) : key === "due" ? formatDate(other.due) : other[key];
    if (!normalText(value) && !normalText(otherValue)) {
      return;
    }
    var label = fieldLabel(key);
    var dt = element("dt", null, label);
    // Shown as it would be kept: the spaces the server drops are not shown either.
    var dd = element("dd", "kept-text", normalText(value) || "—");
    if (!same(key, shown, other)) {
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

export function showConflict() {
  if (!conflictBox) {
    return;
  }
  var item = null;
  state.outbox.forEach(function (each) {
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
  if (!focusBefore || !document.body.contains(focusBefore) || conflictBox.contains(focusBefore)) {
    focusBefore = conflictBox.contains(document.activeElement) ? null : document.activeElement;
  }
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
      focusBack();
    })
  );
  actions.appendChild(
    button(text("TakeTheirs"), "take-theirs", function () {
      removeItem(item.id);
      showConflict();
      renderList();
      showNet();
      focusBack();
    })
  );
  actions.appendChild(
    button(text("Merge"), "merge", function () {
      var theirsNow = item.theirs;
      if (!enterEdit({ kind: "turn", turn_id: theirsNow.id, base_version: theirsNow.version }, item.data)) {
        return;
      }
      state.loadedValues = {}; // what is in the form is saved nowhere else now: never dropped silently
      state.merging = theirsNow;
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

/* Once a version is chosen: the next conflict's choices, or back where the secretary was (the
 * form's field they were typing in), or the form's first field. */
function focusBack() {
  if (!conflictBox.hidden) {
    var next = conflictBox.querySelector("button");
    if (next) {
      next.focus();
      return;
    }
  }
  var target = focusBefore;
  focusBefore = null;
  if (!target || !document.body.contains(target) || target === document.body || target.disabled || target.offsetParent === null) {
    target = control("speaker_name");
  }
  if (target) {
    target.focus();
  }
}

/* While merging, their version stays beside the form for reference. */
export function showMerging() {
  if (!conflictBox || !conflictBox.hidden) {
    return;
  }
  var box = document.getElementById("merging");
  if (!state.merging || state.mode.kind !== "turn") {
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
  var theirs = shownTurn(state.merging, false);
  box.appendChild(versionColumn(text("ConflictTheirs", { name: state.merging.updated_by || text("Someone") }), theirs, theirs));
}
