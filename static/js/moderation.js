/* The moderation queue of residents' questions (templates/questions/_moderation.html).
 *
 * Accept, merge and turn down are sent with fetch (the X-CSRFToken header) and the list
 * changes in place; without this script the same buttons are plain forms. The list follows
 * the staff live stream through one of:
 *   window.DialogueModeration.apply(message)  a bus message {seq, kind, staff, public}
 *                                             (or {kind, data}) from DialogueFeed's onEvent;
 *   window.DialogueModeration.load(snapshot)  a staff snapshot {questions, turns} or the
 *                                             array of waiting questions alone;
 *   document events "dialogue:feed" (detail = message) and "dialogue:snapshot" (detail =
 *   snapshot), for a page that prefers to broadcast.
 * window.DialogueModeration.setLive(true) tells it the stream is up; while no live news has
 * come for a while it asks the queue itself, so it never stays stale.
 *
 * Residents' supports ("Tôi cũng quan tâm") are not live events: a hall of phones must not
 * queue up behind the secretaries' saves. The queue is asked again every data-refresh-seconds
 * instead, and the list is sorted by support, most first; while someone types in an item the
 * order waits, so nothing moves under their hands.
 */
(function () {
  "use strict";

  if (window.DialogueModeration) {
    return;
  }

  var POLL_INTERVAL = 15000;
  var SNIPPET = 80;
  var panel = document.getElementById("moderation");

  var api = {
    apply: function () {},
    load: function () {},
    refresh: function () {},
    setLive: function () {}
  };
  window.DialogueModeration = api;
  if (!panel || !window.fetch) {
    return;
  }

  var list = panel.querySelector(".mq-list");
  var template = document.getElementById("mq-item-template");
  var countBox = panel.querySelector(".mq-count");
  var emptyBox = panel.querySelector(".mq-empty");
  var messageBox = panel.querySelector(".mq-message");
  var baseUrl = panel.dataset.baseUrl;
  var queueUrl = panel.dataset.queueUrl;
  var canModerate = panel.dataset.canModerate === "1";

  var questions = [];
  var turns = [];
  var nodes = {};
  var live = false;
  var lastNews = Date.now();
  var lastAsked = Date.now();
  var refreshEvery = (parseInt(panel.dataset.refreshSeconds, 10) || 15) * 1000;
  var locale = document.documentElement.lang || undefined;

  function text(name, values) {
    var value = panel.dataset["text" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.replace("{" + key + "}", values[key]);
    });
    return value;
  }

  function snippet(value) {
    value = value || "";
    return value.length <= SNIPPET ? value : value.slice(0, SNIPPET - 1).replace(/\s+$/, "") + "…";
  }

  function setText(root, selector, value) {
    var node = root.querySelector(selector);
    if (node) {
      node.textContent = value || "";
    }
  }

  /* -- state ------------------------------------------------------------------------------- */

  function supportsOf(q) {
    return q.support_count || 0;
  }

  function supportsText(count) {
    var shown = count.toLocaleString(locale);
    return text(count === 1 ? "SupportsOne" : "SupportsOther", { count: shown });
  }

  function byQueueOrder(a, b) {
    if (supportsOf(a) !== supportsOf(b)) {
      return supportsOf(b) - supportsOf(a);
    }
    if (a.is_during_meeting !== b.is_during_meeting) {
      return a.is_during_meeting ? -1 : 1;
    }
    if (a.received !== b.received) {
      return a.received < b.received ? -1 : 1;
    }
    return a.id - b.id;
  }

  function upsertQuestion(question) {
    var index = questions.findIndex(function (q) {
      return q.id === question.id;
    });
    if (question.status && question.status !== "waiting") {
      if (index !== -1) {
        questions.splice(index, 1);
      }
      return;
    }
    if (index === -1) {
      questions.push(question);
    } else {
      questions[index] = question;
    }
  }

  function turnEntry(turn) {
    return { id: turn.id, position: turn.position, question: snippet(turn.question) };
  }

  function upsertTurn(turn) {
    var index = turns.findIndex(function (t) {
      return t.id === turn.id;
    });
    if (turn.withdrawn) {
      if (index !== -1) {
        turns.splice(index, 1);
      }
      return;
    }
    if (index === -1) {
      turns.push(turnEntry(turn));
    } else {
      turns[index] = turnEntry(turn);
    }
    turns.sort(function (a, b) {
      return a.position - b.position || a.id - b.id;
    });
  }

  /* -- drawing ----------------------------------------------------------------------------- */

  function fill(node, q) {
    node.classList.toggle("mq-during", !!q.is_during_meeting);
    setText(node, ".mq-when", q.is_during_meeting ? text("During") : text("Before"));
    setText(node, ".mq-time", q.received_local);
    setText(node, ".mq-number", "#" + q.id);
    setText(node, ".mq-group", q.group ? q.group.name : text("NoGroup"));
    setText(node, ".mq-area", q.area ? q.area.name : text("NoArea"));
    setText(node, ".mq-text", q.question);
    setText(node, ".mq-asker-name", q.asker_name);
    setText(node, ".mq-contact", q.contact);
    var shown = !!q.is_shown_publicly;
    var count = supportsOf(q);
    setText(node, ".mq-supports", supportsText(count));
    var counter = node.querySelector(".mq-supports");
    if (counter) {
      counter.classList.toggle("mq-has-supports", count > 0);
    }
    [
      [".mq-shown", !shown],
      ["form.mq-show", shown],
      ["form.mq-hide", !shown]
    ].forEach(function (pair) {
      var part = node.querySelector(pair[0]);
      if (part) {
        part.hidden = pair[1];
      }
    });
  }

  /* Someone typing a reason or choosing in a list: the order waits until they leave it. */
  function busyItem() {
    var active = document.activeElement;
    if (!active || !list.contains(active) || !active.matches("textarea, select, input")) {
      return null;
    }
    return active.closest(".mq-item");
  }

  function build(q) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.dataset.id = String(q.id);
    node.querySelectorAll("form[data-action]").forEach(function (form) {
      form.action = baseUrl + "/" + q.id + "/" + form.dataset.action;
    });
    [
      ["select.mq-target", "mq-target-"],
      ["textarea.mq-reason", "mq-reason-"]
    ].forEach(function (pair) {
      var field = node.querySelector(pair[0]);
      if (field) {
        var label = node.querySelector('label[for="' + field.id + '"]');
        field.id = pair[1] + q.id;
        if (label) {
          label.htmlFor = field.id;
        }
      }
    });
    return node;
  }

  function drawTargets(node, id) {
    var select = node.querySelector("select.mq-target");
    if (!select) {
      return;
    }
    var questionOptions = questions
      .filter(function (other) {
        return other.id !== id;
      })
      .map(function (other) {
        return [
          "question:" + other.id,
          text("Question", { id: other.id }) + ": " + snippet(other.question)
        ];
      });
    var turnOptions = turns.map(function (turn) {
      return ["turn:" + turn.id, text("Turn", { position: turn.position }) + ": " + turn.question];
    });
    var signature = JSON.stringify([questionOptions, turnOptions]);
    if (select.dataset.signature === signature) {
      // Unchanged: a list the secretary has open stays open.
      return;
    }
    select.dataset.signature = signature;
    var chosen = select.value;
    [
      [select.querySelector(".mq-targets-questions"), questionOptions],
      [select.querySelector(".mq-targets-turns"), turnOptions]
    ].forEach(function (pair) {
      pair[0].textContent = "";
      pair[1].forEach(function (option) {
        pair[0].appendChild(new Option(option[1], option[0]));
      });
    });
    select.value = chosen;
    if (select.value !== chosen) {
      select.value = "";
    }
  }

  function render() {
    questions.sort(byQueueOrder);
    var busy = busyItem();
    if (busy) {
      // Keep every item where it stands; new ones go at the end until the order is redrawn.
      var standing = Array.prototype.map.call(list.children, function (node) {
        return node.dataset.id;
      });
      questions.sort(function (a, b) {
        var ia = standing.indexOf(String(a.id));
        var ib = standing.indexOf(String(b.id));
        if (ia === -1 || ib === -1) {
          return ia === ib ? byQueueOrder(a, b) : ia === -1 ? 1 : -1;
        }
        return ia - ib;
      });
    }
    var keep = {};
    questions.forEach(function (q) {
      keep[q.id] = true;
    });
    // Gone first, so that the items that stay need not move.
    Array.prototype.slice.call(list.children).forEach(function (node) {
      if (!keep[node.dataset.id]) {
        node.remove();
        delete nodes[node.dataset.id];
      }
    });
    var cursor = list.firstElementChild;
    questions.forEach(function (q) {
      var node = nodes[q.id] || list.querySelector('.mq-item[data-id="' + q.id + '"]');
      if (!node) {
        node = build(q);
        node.classList.add("mq-new");
        window.setTimeout(
          function (item) {
            item.classList.remove("mq-new");
          },
          4000,
          node
        );
      }
      fill(node, q);
      nodes[q.id] = node;
      // Only an item out of place is moved: one being typed in keeps its focus and its text.
      if (node === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        list.insertBefore(node, cursor);
      }
    });
    questions.forEach(function (q) {
      drawTargets(nodes[q.id], q.id);
    });
    if (countBox) {
      countBox.textContent = String(questions.length);
    }
    if (emptyBox) {
      emptyBox.hidden = questions.length > 0;
    }
  }

  function say(message, level) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = message || "";
    messageBox.className = "mq-message" + (level ? " level-" + level : "");
  }

  function itemError(node, message) {
    var box = node && node.querySelector(".mq-error");
    if (box) {
      box.textContent = message || "";
      box.hidden = !message;
    }
  }

  /* -- the live stream --------------------------------------------------------------------- */

  function load(snapshot) {
    lastNews = Date.now();
    if (!snapshot) {
      return;
    }
    var waiting = Array.isArray(snapshot) ? snapshot : snapshot.questions;
    if (Array.isArray(waiting)) {
      questions = waiting.filter(function (q) {
        return !q.status || q.status === "waiting";
      });
    }
    if (!Array.isArray(snapshot) && Array.isArray(snapshot.turns)) {
      turns = [];
      snapshot.turns.forEach(upsertTurn);
    }
    render();
  }

  function apply(message) {
    if (!message) {
      return;
    }
    lastNews = Date.now();
    var kind = message.kind || message.type || message.event;
    var data = message.staff || message.data || message;
    if (kind === "snapshot") {
      load(data);
      return;
    }
    if (kind === "question.received" || kind === "question.moderated") {
      if (data.question && data.question.id) {
        upsertQuestion(data.question);
        render();
      }
    } else if (kind === "turn.created" || kind === "turn.updated" || kind === "turn.restored") {
      if (data.turn) {
        upsertTurn(data.turn);
        render();
      }
    } else if (kind === "turn.withdrawn") {
      if (data.turn) {
        upsertTurn({ id: data.turn.id, withdrawn: true });
        render();
      }
    } else if (kind === "turns.reordered") {
      // Positions change together: the queue's answer carries them all.
      refresh();
    }
  }

  function refresh() {
    lastAsked = Date.now();
    return fetch(queueUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          return null;
        }
        return response.json();
      })
      .then(function (body) {
        if (body && body.ok) {
          load(body);
        }
      })
      .catch(function () {
        /* The next poll or live event brings it. */
      });
  }

  /* -- decisions --------------------------------------------------------------------------- */

  function send(form) {
    var node = form.closest(".mq-item");
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    itemError(node, "");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": panel.dataset.csrf || "" }
    })
      .then(
        function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            return { status: response.status, body: { ok: false, message: text("Expired") } };
          }
          return response.json().then(function (body) {
            return { status: response.status, body: body };
          });
        },
        function () {
          return { status: 0, body: { ok: false, message: text("NotSent") } };
        }
      )
      .then(function (result) {
        if (button) {
          button.disabled = false;
        }
        var body = result.body || {};
        if (body.ok) {
          say(body.message, "success");
          if (body.question) {
            upsertQuestion(body.question);
          }
          render();
          return;
        }
        itemError(node, body.message);
        if (result.status === 409) {
          // Another secretary decided first, or the session changed: show the queue as it is.
          refresh();
        }
      });
  }

  if (canModerate) {
    panel.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.dataset || !form.dataset.action) {
        return;
      }
      event.preventDefault();
      send(form);
    });
  }

  /* -- start ------------------------------------------------------------------------------- */

  try {
    load(JSON.parse(panel.dataset.initial || "{}"));
  } catch (error) {
    /* The server's list stays as drawn. */
  }

  api.apply = apply;
  api.load = load;
  api.refresh = refresh;
  api.setLive = function (value) {
    live = !!value;
    lastNews = Date.now();
  };

  // The order held while someone typed is drawn once they leave the item.
  list.addEventListener("focusout", function () {
    window.setTimeout(function () {
      if (!busyItem()) {
        render();
      }
    }, 0);
  });

  // The counts of supports: asked for again now and then, whatever the stream does.
  window.setInterval(function () {
    if (!document.hidden && Date.now() - lastAsked >= refreshEvery) {
      refresh();
    }
  }, Math.min(refreshEvery, POLL_INTERVAL));

  document.addEventListener("dialogue:feed", function (event) {
    apply(event.detail);
  });
  document.addEventListener("dialogue:snapshot", function (event) {
    load(event.detail);
  });

  window.setInterval(function () {
    if (document.hidden) {
      return;
    }
    if (!live || Date.now() - lastNews > 4 * POLL_INTERVAL) {
      if (Date.now() - lastNews >= POLL_INTERVAL) {
        refresh();
      }
    }
  }, POLL_INTERVAL);

  // The queue page has no console to feed it: it listens to the staff stream itself.
  function connectOwnFeed() {
    var page = panel.closest(".queue-page");
    if (!page || !page.dataset.streamUrl || !window.DialogueFeed) {
      return;
    }
    window.DialogueFeed.connect({
      streamUrl: page.dataset.streamUrl,
      snapshotUrl: page.dataset.snapshotUrl,
      onSnapshot: load,
      onEvent: apply,
      onStatus: function (status) {
        api.setLive(status === "live" || status === "connected" || status === "open");
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connectOwnFeed);
  } else {
    connectOwnFeed();
  }
})();
