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
 * Without this script the page is plain forms (POST, redirect, flashed message).
 *
 * The parts, one module each; a part imports only parts listed above it, and what it needs
 * from one below it is passed in as a callback when it is set up (start() below):
 *   shared.js    the page, the words, small helpers, localStorage, the shared state
 *   turns.js     the turns as the server has them
 *   outbox.js    the outbox, the requests and the state of the connection
 *   combos.js    choosing people and areas as you type
 *   form.js      the form, its draft, its checks and its keys
 *   list.js      the running list; moving, withdrawing, restoring
 *   conflict.js  both versions of a turn
 *   stream.js    following the others through the live stream */

import { showConflict, showMerging } from "./conflict.js";
import { formIsBlank, initForm, loadItem, writeDraft } from "./form.js";
import { initList, renderList } from "./list.js";
import { flush, initOutbox, showNet } from "./outbox.js";
import { initial, usable } from "./shared.js";
import { follow } from "./stream.js";
import { replaceTurns } from "./turns.js";

function start() {
  if (!usable) {
    return;
  }
  initOutbox({
    renderList: renderList,
    showConflict: showConflict,
    writeDraft: writeDraft,
    formIsBlank: formIsBlank,
    loadItem: loadItem
  });
  initList();
  replaceTurns(initial.turns);
  initForm({ renderList: renderList, showMerging: showMerging });
  renderList();
  showConflict();
  showNet();
  follow();
  flush();
}

start();
