/* The secretaries' console (templates/live/console.html): keyboard-first, made for a laptop
 * on poor Wi-Fi in a crowded hall.
 *
 * - Ctrl+Enter saves the turn and empties the form for the next one at once, the focus back
 *   on the speaker. The save goes through an outbox kept in localStorage (one per conference
 *   and user): a turn saved while the connection is down stays there, marked "not yet sent",
 *   survives a reload and is sent when the connection returns; the client_key made here when
 *   the draft began lets the server recognise a repeat, so it is saved exactly once. Edits
 *   wait in the same outbox with the version they were based on.
 * - The turn being typed is kept in localStorage too: a reload does not lose it, and the page
 *   itself opens without a connection (offline.js, service-worker.js).
 * - A turn saved offline is dated by when it was saved and takes its place among the others
 *   when it arrives; a speaker's name typed offline is matched against those present then.
 * - Other secretaries' saves arrive through the staff live stream (static/js/livefeed.js).
 * - A turn changed by someone else meanwhile comes back as 409 with both versions: the
 *   secretary keeps theirs, takes the other, or merges in the form; nothing typed is lost.
 * Without this script the page is plain forms (POST, redirect, flashed message).
 *
 * The parts, one module each; a part imports only parts listed above it, and what it needs
 * from one below it is passed in as a callback when it is set up (start() below):
 *   shared.js    the page, the words, small helpers, localStorage, the shared state
 *   offline.js   the service worker that lets the console open without a connection
 *   turns.js     the turns as the server has them
 *   outbox.js    the outbox, the requests and the state of the connection
 *   combos.js    choosing people and areas as you type
 *   form.js      the form, its draft, its checks and its keys
 *   list.js      the running list; moving, withdrawing, restoring; names typed offline;
 *                Alt+↑ / Alt+↓ to open the turns one by one
 *   conflict.js  both versions of a turn
 *   stream.js    following the others through the live stream
 * service-worker.js is no part of the page: the browser runs it (see offline.js). */

import { showConflict, showMerging } from "./conflict.js";
import { formHasErrors, formIsBlank, initForm, loadItem, writeDraft } from "./form.js";
import { initList, renderList } from "./list.js";
import { keepForOffline } from "./offline.js";
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
    formHasErrors: formHasErrors,
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
  keepForOffline();
}

start();
