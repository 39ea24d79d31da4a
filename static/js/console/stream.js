/* Following the others: their saves, moves and withdrawals arrive through the staff live
 * stream (static/js/livefeed.js, a classic script that runs before this module and leaves
 * window.DialogueFeed), and the moderation panel (static/js/moderation.js,
 * window.DialogueModeration) is fed from the same stream. */

import { showConflict } from "./conflict.js";
import { renderList } from "./list.js";
import { renewCopy } from "./offline.js";
import { flush, showNet, waitingCount } from "./outbox.js";
import { initial, root, say, state, text } from "./shared.js";
import { applyOrder, replaceTurns, turnById, upsertTurn } from "./turns.js";

const POLL_INTERVAL = 3000;

function moderation(name, value) {
  if (window.DialogueModeration && typeof window.DialogueModeration[name] === "function") {
    window.DialogueModeration[name](value);
  }
}

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
    var before = turnById(event.turn.id);
    upsertTurn(event.turn);
    if (event.order) {
      // A turn spoken earlier that arrived late: the others move down in the same step.
      applyOrder(event.order);
    }
    noticeChange(event.turn, before);
    renderList();
    renewCopy();
  } else if (kind === "turns.reordered") {
    applyOrder(event.order);
    renderList();
    renewCopy();
  } else if (kind === "conference.closed") {
    say(text("ConferenceClosed"), "warning");
  }
  moderation("apply", event);
}

function noticeChange(turn, before) {
  if (state.mode.kind !== "turn" || state.mode.turn_id !== turn.id || !before) {
    return;
  }
  if (turn.version > state.mode.base_version) {
    say(text("ChangedMeanwhile", { name: turn.updated_by || text("Someone") }), "warning");
  }
}

/* Follow the staff live stream, or ask for the list now and then without it. */
export function follow() {
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
        state.liveStatus = status;
        moderation("setLive", status === "live");
        if (status === "live" && waitingCount()) {
          // The server answers again: what waits is sent now, not at the next retry.
          state.offline = false;
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
