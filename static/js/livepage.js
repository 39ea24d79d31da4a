/* The projector and residents' live page: follow the conference through DialogueFeed and draw
 * the turns as the server drew them (templates/feed/_turns.html: keep the markup in step).
 * Without this script the pages show the turns as they were when loaded, and reload. */
(function () {
  "use strict";

  var root = document.getElementById("live-feed");
  if (!root || !window.DialogueFeed || !window.fetch) {
    return;
  }

  var isProjector = root.dataset.layout === "projector";
  var ENDED = ["closed", "published", "cancelled"];
  var turns = {};
  var facts = { status: root.dataset.status };
  var freshId = null;

  function camel(value) {
    return String(value)
      .split(/[_-]/)
      .map(function (part) {
        return part.charAt(0).toUpperCase() + part.slice(1);
      })
      .join("");
  }

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
    if (content !== undefined && content !== null) {
      node.textContent = content;
    }
    return node;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  function dayMonthYear(iso) {
    var parts = String(iso).split("-");
    return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : iso;
  }

  function hasEnded() {
    return ENDED.indexOf(facts.status) !== -1;
  }

  /* Turns not withdrawn, in speaking order, numbered as the hall counts them. */
  function ordered() {
    return Object.keys(turns)
      .map(function (id) {
        return turns[id];
      })
      .sort(function (a, b) {
        return a.position - b.position || a.id - b.id;
      });
  }

  /* -- drawing ------------------------------------------------------------------------------ */

  function meta(turn, number) {
    var line = element("p", "turn-meta");
    line.appendChild(element("span", "turn-number", text("Turn", { number: number })));
    line.appendChild(document.createTextNode(" "));
    line.appendChild(element("span", "turn-speaker", turn.speaker));
    if (turn.area) {
      line.appendChild(document.createTextNode(" "));
      line.appendChild(element("span", "turn-area", turn.area.name));
    }
    return line;
  }

  function outcome(turn) {
    var box = element("div", "turn-outcome");
    if (turn.outcome === "answered") {
      box.appendChild(element("p", "turn-answerer", text("AnsweredBy", { name: turn.answerer })));
      box.appendChild(element("p", "turn-answer", turn.answer));
    } else if (turn.outcome === "referred") {
      var referral = element("p", "turn-referral");
      referral.appendChild(element("strong", "", text("Referred")));
      var unit = turn.referral ? turn.referral.unit : "";
      referral.appendChild(element("span", "turn-referral-unit", text("Unit", { unit: unit })));
      if (turn.referral && turn.referral.due) {
        referral.appendChild(
          element("span", "turn-referral-due", text("Due", { date: dayMonthYear(turn.referral.due) }))
        );
      }
      box.appendChild(referral);
      if (turn.answer) {
        box.appendChild(element("p", "turn-answer", turn.answer));
      }
    } else {
      box.appendChild(element("p", "turn-pending", text("Pending")));
    }
    return box;
  }

  function card(turn, number, tag, className) {
    var node = element(tag, className);
    node.dataset.turnId = turn.id;
    node.dataset.outcome = turn.outcome;
    node.appendChild(meta(turn, number));
    node.appendChild(element("p", "turn-question", turn.question));
    node.appendChild(outcome(turn));
    return node;
  }

  function sizeClass(turn) {
    var length = (turn.question || "").length + (turn.answer || "").length;
    if (length <= 280) {
      return "size-l";
    }
    if (length <= 650) {
      return "size-m";
    }
    return length <= 1300 ? "size-s" : "size-xs";
  }

  function line(turn, number, isCurrent) {
    var item = element("li", "turn-line" + (isCurrent ? " is-current" : ""));
    item.dataset.turnId = turn.id;
    item.dataset.outcome = turn.outcome;
    item.appendChild(element("span", "turn-number", String(number)));
    var body = element("span", "turn-line-body");
    body.appendChild(element("span", "turn-speaker", turn.speaker));
    body.appendChild(element("span", "turn-line-question", turn.question));
    item.appendChild(body);
    item.appendChild(element("span", "turn-badge", text(camel(turn.outcome))));
    return item;
  }

  function conclusion(container) {
    container.textContent = "";
    container.appendChild(element("h2", "", text("Conclusion")));
    if (facts.conclusion) {
      // One paragraph a line, as the chair's conclusion is stored.
      facts.conclusion.split("\n").forEach(function (paragraph) {
        if (paragraph.trim()) {
          container.appendChild(element("p", "conclusion-text", paragraph));
        }
      });
    }
    if (facts.tasks && facts.tasks.length) {
      var list = element("ol", "conclusion-tasks");
      facts.tasks.forEach(function (task) {
        var item = element("li");
        item.appendChild(element("span", "task-content", task.content));
        if (task.unit) {
          item.appendChild(element("span", "task-unit", text("Unit", { unit: task.unit })));
        }
        if (task.deadline) {
          item.appendChild(
            element("span", "task-deadline", text("Deadline", { date: dayMonthYear(task.deadline) }))
          );
        }
        list.appendChild(item);
      });
      container.appendChild(list);
    }
  }

  function hasConclusion() {
    return Boolean(facts.conclusion || (facts.tasks && facts.tasks.length));
  }

  function stateText(count) {
    // No event says the meeting began: a turn says it.
    var status = facts.status === "announced" && count ? "in_progress" : facts.status;
    return text("State" + camel(status));
  }

  function drawPhone(list) {
    var state = byId("feed-state");
    if (state) {
      state.textContent = stateText(list.length);
    }
    var box = byId("feed-conclusion");
    if (box && hasConclusion()) {
      conclusion(box);
      box.hidden = false;
    }
    byId("feed-empty").hidden = list.length > 0;
    var target = byId("feed-turns");
    var items = document.createDocumentFragment();
    list
      .slice()
      .reverse()
      .forEach(function (turn, index) {
        var node = card(turn, list.length - index, "li", "turn");
        if (turn.id === freshId) {
          node.classList.add("is-fresh");
        }
        items.appendChild(node);
      });
    target.textContent = "";
    target.appendChild(items);
  }

  function drawProjector(list) {
    var current = list.length ? list[list.length - 1] : null;
    var area = byId("feed-current");
    area.textContent = "";
    if (hasConclusion()) {
      var box = element("div", "projector-conclusion");
      conclusion(box);
      area.appendChild(box);
    } else if (current) {
      var node = card(current, list.length, "article", "turn current-turn " + sizeClass(current));
      if (current.id === freshId) {
        node.classList.add("is-fresh");
      }
      area.appendChild(node);
    } else {
      var waiting = element("p", "projector-waiting", stateText(0));
      waiting.id = "feed-state";
      area.appendChild(waiting);
    }
    var target = byId("feed-turns");
    var items = document.createDocumentFragment();
    var currentLine = null;
    list.forEach(function (turn, index) {
      var item = line(turn, index + 1, turn === current);
      if (turn === current) {
        currentLine = item;
      }
      items.appendChild(item);
    });
    target.textContent = "";
    target.appendChild(items);
    if (currentLine && currentLine.scrollIntoView) {
      currentLine.scrollIntoView({ block: "nearest" });
    }
    // Older turns slide out at the top, faded rather than cut.
    target.classList.toggle("is-overflowing", target.scrollTop > 0);
  }

  function draw() {
    var list = ordered();
    // The question form and its QR code go once the conference is over.
    Array.prototype.forEach.call(document.querySelectorAll("[data-while-open]"), function (node) {
      node.hidden = hasEnded();
    });
    if (isProjector) {
      drawProjector(list);
    } else {
      drawPhone(list);
    }
    freshId = null;
  }

  /* -- the model ---------------------------------------------------------------------------- */

  function upsert(turn) {
    if (turn.withdrawn) {
      delete turns[turn.id];
    } else {
      turns[turn.id] = turn;
      freshId = turn.id;
    }
  }

  function onSnapshot(snapshot) {
    turns = {};
    snapshot.turns.forEach(function (turn) {
      turns[turn.id] = turn;
    });
    facts = snapshot.conference || facts;
    draw();
  }

  function onEvent(event) {
    if (event.turn) {
      upsert(event.turn);
    }
    if (event.order) {
      event.order.forEach(function (id, index) {
        if (turns[id]) {
          turns[id].position = index + 1;
        }
      });
    }
    if (event.conference) {
      Object.keys(event.conference).forEach(function (key) {
        facts[key] = event.conference[key];
      });
    }
    draw();
  }

  function onConference(conference) {
    if (conference.status !== facts.status) {
      Object.keys(conference).forEach(function (key) {
        facts[key] = conference[key];
      });
      draw();
    }
  }

  function onStatus(status) {
    var indicator = byId("feed-indicator");
    if (!indicator) {
      return;
    }
    indicator.dataset.state = status;
    indicator.textContent = text("Feed" + camel(status));
    indicator.hidden = status === "ended" && !isProjector;
  }

  window.DialogueFeed.connect({
    streamUrl: root.dataset.streamUrl,
    snapshotUrl: root.dataset.snapshotUrl,
    untilClosed: true,
    onSnapshot: onSnapshot,
    onEvent: onEvent,
    onConference: onConference,
    onStatus: onStatus
  });
})();
