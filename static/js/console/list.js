/* The running list: the turns in order with their numbers, the saves still waiting after them,
 * and moving, withdrawing and restoring a turn; settling a speaker's name typed offline;
 * Alt+↑ and Alt+↓ to open the turns one by one in the form. */

import { control, loadItem, loadTurn, showHeading, stopEditing } from "./form.js";
import { renewCopy } from "./offline.js";
import { findItem, pendingEditOf, post, removeItem, sendAgain, showNet } from "./outbox.js";
import { button, canWrite, element, root, say, state, text, urlFor } from "./shared.js";
import { applyOrder, orderedTurns, turnByKey, upsertTurn } from "./turns.js";

const list = document.getElementById("turn-list");
const countBox = document.getElementById("turn-count");
const toConfirmBox = document.getElementById("names-to-confirm");
let withdrawing = null;

/* The turns (and waiting saves) as the list shows them, those the form can open. */
function openable() {
  return Array.prototype.filter.call(list.querySelectorAll("li.turn"), function (node) {
    return node.dataset.turnId || (node.dataset.itemId && node.dataset.itemId !== state.inFlight);
  });
}

function openInForm(node) {
  if (node.dataset.turnId) {
    loadTurn(Number(node.dataset.turnId));
  } else {
    var queued = findItem(node.dataset.itemId);
    if (queued) {
      loadItem(queued);
    }
  }
}

/* Alt+↑: the turn before the one in the form (from a new turn: the last one); Alt+↓: the
 * one after, and past the last one back to the new turn. */
function step(direction) {
  var nodes = openable();
  var current = -1;
  nodes.forEach(function (node, index) {
    if (node.classList.contains("is-editing")) {
      current = index;
    }
  });
  if (current === -1) {
    if (direction > 0) {
      return;
    }
    current = nodes.length;
  }
  var target = current + direction;
  if (target >= nodes.length) {
    stopEditing();
    return;
  }
  if (target < 0) {
    return;
  }
  openInForm(nodes[target]);
  keepInView(nodes[target]);
}

/* Enter on a turn in the list opens it in the form. */
export function initList() {
  if (!list) {
    return;
  }
  if (canWrite && control("question")) {
    document.addEventListener("keydown", function (event) {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      if (event.key !== "ArrowUp" && event.key !== "ArrowDown") {
        return;
      }
      event.preventDefault();
      step(event.key === "ArrowUp" ? -1 : 1);
    });
  }
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
      if (queued && queued.id !== state.inFlight) {
        loadItem(queued);
      }
    }
  });
}

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

export function outcomeTitle(value) {
  return text("Outcome" + value.charAt(0).toUpperCase() + value.slice(1));
}

export function formatDate(iso) {
  if (!iso) {
    return "";
  }
  var parts = iso.split("-");
  return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : iso;
}

/* What a turn (or a waiting save) shows, from a payload or from what the form sent; with the
 * ids behind the names, so that two versions are compared by what they mean. */
export function shownTurn(source, fromForm) {
  if (!fromForm) {
    return {
      speaker: source.speaker,
      who: source.group || source.organisation,
      groupId: source.group_id || null,
      organisation: source.organisation || "",
      area: source.area ? source.area.code : "",
      areaName: source.area ? source.area.code + " · " + source.area.name : "",
      areaId: source.area ? source.area.id : null,
      question: source.question,
      outcome: source.outcome,
      answerer: source.answerer,
      answer: source.answer,
      unit: source.referral ? source.referral.unit : "",
      unitId: source.outcome === "referred" ? source.referral_unit_id || null : null,
      due: source.referral ? source.referral.due : ""
    };
  }
  var area = optionText("procedure_area_id", source.procedure_area_id);
  var referred = source.outcome === "referred";
  return {
    speaker: source.speaker_name,
    who: optionText("speaker_group_id", source.speaker_group_id) || source.speaker_organisation,
    groupId: source.speaker_group_id,
    organisation: source.speaker_organisation || "",
    area: area.split(" · ")[0],
    areaName: area,
    areaId: source.procedure_area_id,
    question: source.question,
    outcome: source.outcome || "pending",
    answerer: source.outcome === "pending" ? "" : source.answerer_name,
    answer: source.outcome === "pending" ? "" : source.answer,
    unit: referred ? optionText("referral_unit_id", source.referral_unit_id) : "",
    unitId: referred ? source.referral_unit_id : null,
    due: referred ? source.referral_due_date : ""
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
  if (item.id === state.inFlight) {
    return { text: text("Sending"), level: "sending" };
  }
  if (item.state === "closed") {
    return { text: text("ClosedItem"), level: "error" };
  }
  if (item.state === "error") {
    // Set aside: the others are sent meanwhile; this one waits to be corrected or discarded.
    return { text: text("SetAside", { message: item.message || "" }), level: "error" };
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
  if (turn.speaker_match === "linked" && turn.speaker_typed) {
    node.appendChild(element("p", "turn-note speaker-linked", text("Linked", { name: turn.speaker_typed })));
  } else if (turn.speaker_match === "to_confirm" && !turn.withdrawn) {
    node.appendChild(speakerCheck(turn));
  }
  if (waiting) {
    var note = itemNote(waiting);
    node.classList.add("has-waiting");
    if (waiting.state === "error") {
      node.classList.add("is-set-aside");
    }
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
    if (waiting && waiting.id !== state.inFlight) {
      setAsideActions(actions, waiting, "DiscardChange");
    }
    node.appendChild(actions);
    if (withdrawing && withdrawing.turnId === turn.id) {
      node.appendChild(withdrawBox(turn.id));
    }
  }
  if (state.mode.kind === "turn" && state.mode.turn_id === turn.id) {
    node.classList.add("is-editing");
  }
  return node;
}

/* A name typed offline that fits several people present, or no one: one click settles it. */
function speakerCheck(turn) {
  var box = element("div", "speaker-check");
  box.id = "speaker-check-" + turn.id;
  var candidates = turn.speaker_candidates || [];
  box.appendChild(
    element("p", "speaker-check-question", text(candidates.length ? "ToConfirm" : "ToConfirmNone", { name: turn.speaker_typed || turn.speaker }))
  );
  if (!canWrite) {
    return box;
  }
  var choices = element("div", "speaker-check-choices");
  candidates.forEach(function (person) {
    var where = person.group || person.organisation;
    var choice = button(person.name, "candidate", function () {
      confirmSpeaker(turn.id, person.attendee_id);
    });
    if (where) {
      choice.appendChild(document.createTextNode(" "));
      choice.appendChild(element("span", "combo-detail", "· " + where));
    }
    choice.dataset.attendeeId = person.attendee_id;
    choices.appendChild(choice);
  });
  choices.appendChild(
    button(text("KeepTyped"), "keep-typed", function () {
      confirmSpeaker(turn.id, null);
    })
  );
  box.appendChild(choices);
  return box;
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
  var noteText = note.text;
  if (item.saved_at) {
    // When it was saved: its place among the others once it is sent.
    var saved = new Date(item.saved_at);
    var time = String(saved.getHours()).padStart(2, "0") + ":" + String(saved.getMinutes()).padStart(2, "0");
    noteText += " (" + text("SavedAt", { time: time }) + ")";
  }
  node.appendChild(element("p", "turn-note note-" + note.level, noteText));
  if (canWrite) {
    node.tabIndex = 0;
    var actions = element("div", "turn-actions");
    if (item.id !== state.inFlight) {
      actions.appendChild(
        button(text("Edit"), "", function () {
          loadItem(item);
        })
      );
    }
    setAsideActions(actions, item, "Discard");
    node.appendChild(actions);
  }
  if (item.state === "error") {
    node.classList.add("is-set-aside");
  }
  if (state.mode.kind === "item" && state.mode.item_id === item.id) {
    node.classList.add("is-editing");
  }
  return node;
}

/* What can be done with a save that will not be sent as it is: send it again as it is (after
 * server errors, which may have been passing), or discard it. */
function setAsideActions(actions, item, discard) {
  if (item.state === "error" && item.status >= 500) {
    actions.appendChild(
      button(text("SendAgain"), "send-again", function () {
        sendAgain(item);
      })
    );
  }
  if (item.state === "error" || item.state === "closed") {
    actions.appendChild(
      button(text(discard), "danger discard", function () {
        if (window.confirm(text(discard + "Confirm"))) {
          removeItem(item.id);
          if (state.mode.kind === "item" && state.mode.item_id === item.id) {
            // What the form holds is what was just discarded.
            state.loadedValues = null;
            stopEditing();
          }
          renderList();
          showNet();
        }
      })
    );
  }
}

function focusTurn(turnId) {
  var node = document.getElementById("turn-" + turnId);
  if (node) {
    node.focus();
  }
}

export function renderList() {
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
  var toConfirm = 0;
  orderedTurns().forEach(function (turn) {
    var number = null;
    if (!turn.withdrawn) {
      count += 1;
      number = count;
      if (turn.speaker_match === "to_confirm") {
        toConfirm += 1;
      }
    }
    fragment.appendChild(turnNode(turn, number));
  });
  state.outbox.forEach(function (item) {
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
  if (toConfirmBox) {
    toConfirmBox.hidden = toConfirm === 0;
    toConfirmBox.textContent = toConfirm ? text("NamesToConfirm", { n: toConfirm }) : "";
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
  revealSaved();
  showHeading();
}

/* The turn just saved stays in view in the list: at the end while it waits, then in its place. */
function revealSaved() {
  var reveal = state.reveal;
  if (!reveal) {
    return;
  }
  var node = null;
  if (reveal.turn_id) {
    node = document.getElementById("turn-" + reveal.turn_id);
  } else if (reveal.client_key) {
    var sent = turnByKey(reveal.client_key);
    node = sent
      ? document.getElementById("turn-" + sent.id)
      : list.querySelector('li.is-queued[data-client-key="' + reveal.client_key + '"]');
  }
  keepInView(node);
  if (node && node.dataset.turnId && !node.classList.contains("has-waiting")) {
    state.reveal = null; // in its place: from now on the list scrolls as the secretary likes
  }
}

/* Scroll the list (only the list: the form stays where it is) to show ``node``. */
function keepInView(node) {
  if (!node || list.scrollHeight <= list.clientHeight) {
    return;
  }
  var box = list.getBoundingClientRect();
  var place = node.getBoundingClientRect();
  if (place.top < box.top) {
    list.scrollTop -= box.top - place.top;
  } else if (place.bottom > box.bottom) {
    list.scrollTop += Math.min(place.top - box.top, place.bottom - box.bottom);
  }
}

/* -- moving, withdrawing, restoring (answered at once, not queued) ------------------------ */

function act(url, body, done) {
  return post(url, body).then(
    function (answer) {
      if (answer.body && answer.body.ok) {
        done(answer.body);
        renderList();
        renewCopy();
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
      say(problemText(problem), "error");
      return false;
    }
  );
}

/* Why an action was not done, in words: the server's own when it gave any. */
function problemText(problem) {
  var kind = problem && problem.kind;
  if (kind === "expired") {
    return text("SignedOut");
  }
  if (kind === "server" || kind === "refused") {
    return problem.message || text(kind === "server" ? "ServerError" : "RefusedError", { code: problem.status });
  }
  return kind === "later" ? text("ServerDown") : text("Failed");
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

function confirmSpeaker(turnId, attendeeId) {
  var body = attendeeId ? { attendee_id: attendeeId } : { keep: true };
  act(urlFor("speaker", turnId), body, function (answer) {
    upsertTurn(answer.turn);
    say(answer.message || "", "success");
  }).then(function () {
    focusTurn(turnId);
  });
}

function restore(turnId) {
  act(urlFor("restore", turnId), {}, function (body) {
    upsertTurn(body.turn);
  }).then(function () {
    focusTurn(turnId);
  });
}
