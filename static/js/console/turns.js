/* The turns as the server has them, by id, from the page, the snapshots, the events and the
 * answers to saves. */

let turns = {};

export function turnById(turnId) {
  return turns[turnId];
}

export function upsertTurn(turn) {
  if (!turn || typeof turn.id !== "number") {
    return;
  }
  var known = turns[turn.id];
  if (known && typeof turn.version === "number" && known.version > turn.version) {
    return; // an older state that arrived late
  }
  turns[turn.id] = known ? Object.assign({}, known, turn) : turn;
}

export function replaceTurns(list) {
  turns = {};
  (list || []).forEach(upsertTurn);
}

export function applyOrder(ids) {
  (ids || []).forEach(function (id, index) {
    if (turns[id]) {
      turns[id].position = index + 1;
    }
  });
}

export function orderedTurns() {
  return Object.keys(turns)
    .map(function (id) {
      return turns[id];
    })
    .sort(function (a, b) {
      return a.position - b.position || a.id - b.id;
    });
}

export function numberOf(turnId) {
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

export function turnByKey(clientKey) {
  var found = null;
  Object.keys(turns).forEach(function (id) {
    if (turns[id].client_key === clientKey) {
      found = turns[id];
    }
  });
  return found;
}
