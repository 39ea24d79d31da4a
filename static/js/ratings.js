/* Ratings of answers (templates/feedback/_rate.html): send a resident's choice in place and say
 * "You rated: …", mark the device's own choices on pages that are the same for every visitor
 * (they are fetched from a small JSON address that no cache keeps), and give the live page's
 * turns their buttons each time livepage.js draws them again, keeping what was typed.
 * Without this script each form posts and the page comes back with a message. */
(function () {
  "use strict";

  if (!window.fetch || !window.FormData || !document.querySelector) {
    return;
  }

  var texts = document.getElementById("rate-texts");
  // "turn:kind" -> {level, comment}: this device's ratings, as the server last confirmed them.
  var state = {};
  // The live page's forms by turn id, kept while livepage.js replaces the cards around them.
  var kept = {};
  // The field a resident was typing in when the cards were drawn again.
  var typing = null;
  // The button pressed, for browsers whose submit event does not say.
  var pressed = null;

  function text(name, values) {
    var value = (texts && texts.dataset[name]) || "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.replace("{" + key + "}", values[key]);
    });
    return value;
  }

  function each(nodes, callback) {
    Array.prototype.forEach.call(nodes, callback);
  }

  function keyOf(form) {
    return form.dataset.turn + ":" + form.dataset.kind;
  }

  function formsOf(key) {
    return Array.prototype.filter.call(document.querySelectorAll("form.rate"), function (form) {
      return keyOf(form) === key;
    });
  }

  function choiceTitle(form, level) {
    var title = "";
    each(form.querySelectorAll("button[name=level]"), function (button) {
      if (button.value === level) {
        title = button.textContent.trim();
      }
    });
    return title;
  }

  function show(form, message, isError) {
    var status = form.querySelector(".rate-status");
    if (!status) {
      return;
    }
    status.textContent = message;
    status.classList.toggle("is-error", Boolean(isError));
  }

  /* Mark the device's choice on ``form`` and say what it is. */
  function mark(form) {
    var rating = state[keyOf(form)];
    if (!rating) {
      return;
    }
    form.dataset.level = rating.level;
    each(form.querySelectorAll("button[name=level]"), function (button) {
      button.setAttribute("aria-pressed", button.value === rating.level ? "true" : "false");
    });
    show(form, text("rated", { level: choiceTitle(form, rating.level) }) + " " + text("change"));
    var comment = form.querySelector("textarea[name=comment]");
    // What the resident is typing is theirs: only an empty box shows the comment already sent.
    if (comment && !comment.value && rating.comment) {
      comment.value = rating.comment;
    }
  }

  function enhance(form) {
    if (form.dataset.enhanced) {
      return;
    }
    form.dataset.enhanced = "1";
    // The comment box comes into the form; without the script it is on the answer's own page.
    each(form.querySelectorAll("[data-needs-script]"), function (node) {
      node.hidden = false;
    });
    each(form.querySelectorAll(".rate-comment-link"), function (node) {
      node.hidden = true;
    });
    var key = keyOf(form);
    if (form.dataset.level && !state[key]) {
      var comment = form.querySelector("textarea[name=comment]");
      state[key] = { level: form.dataset.level, comment: comment ? comment.value : "" };
    }
    mark(form);
  }

  /* -- sending ------------------------------------------------------------------------------ */

  function problem(form, message, field) {
    show(form, message || text("failed"), true);
    if (field === "comment") {
      var details = form.querySelector(".rate-more");
      if (details) {
        details.open = true;
      }
      var comment = form.querySelector("textarea[name=comment]");
      if (comment) {
        comment.focus();
      }
    }
  }

  function send(form, submitter) {
    if (form.dataset.busy) {
      return;
    }
    var key = keyOf(form);
    var current = state[key];
    var level =
      submitter && submitter.name === "level" ? submitter.value : current ? current.level : "";
    if (!level) {
      show(form, text("choose"), true);
      return;
    }
    var data = new FormData(form);
    data.set("level", level);
    form.dataset.busy = "1";
    form.setAttribute("aria-busy", "true");
    show(form, text("sending"));
    window
      .fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { ok: response.ok, body: body };
          },
          function () {
            return { ok: false, body: null };
          }
        );
      })
      .then(function (result) {
        var body = result.body || {};
        if (result.ok && body.ok && body.rating) {
          state[key] = { level: body.rating.level, comment: body.rating.comment };
          formsOf(key).forEach(mark);
          if (submitter && submitter.name === "send" && body.rating.comment) {
            show(form, text("commentSent") + " " + text("rated", { level: choiceTitle(form, level) }));
          }
        } else {
          problem(form, body.message, body.field);
        }
      })
      .catch(function () {
        problem(form, text("failed"));
      })
      .then(function () {
        delete form.dataset.busy;
        form.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("form.rate button") : null;
    pressed = button;
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("rate")) {
      return;
    }
    event.preventDefault();
    var submitter = event.submitter || (pressed && pressed.form === form ? pressed : null);
    pressed = null;
    send(form, submitter);
  });

  /* -- this device's choices on pages kept for everyone --------------------------------------- */

  function loadMine() {
    var urls = {};
    each(document.querySelectorAll("form.rate[data-mine-url]"), function (form) {
      urls[form.dataset.mineUrl] = true;
    });
    Object.keys(urls).forEach(function (url) {
      window
        .fetch(url, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "application/json" }
        })
        .then(function (response) {
          return response.ok ? response.json() : { ratings: [] };
        })
        .then(function (body) {
          (body.ratings || []).forEach(function (rating) {
            var key = rating.turn + ":" + rating.kind;
            // A choice made while this was on its way is newer.
            if (!state[key]) {
              state[key] = { level: rating.level, comment: rating.comment };
            }
          });
          each(document.querySelectorAll("form.rate"), mark);
        })
        .catch(function () {
          // Unmarked buttons still work; the server knows the device's choice.
        });
    });
  }

  /* -- the live page's turns ------------------------------------------------------------------ */

  var list = document.getElementById("feed-turns");
  var template = document.getElementById("rate-template");

  function answered(card) {
    if (card.dataset.outcome !== "answered") {
      return false;
    }
    var answer = card.querySelector(".turn-answer");
    return Boolean(answer && answer.textContent.trim());
  }

  function build(id) {
    var holder = document.createElement("div");
    // The server's own markup, the turn's number put in its place (a number, nothing typed).
    holder.innerHTML = template.innerHTML.split("{turn}").join(id);
    var form = holder.querySelector("form.rate");
    Array.prototype.forEach.call(form.querySelectorAll("a[data-address]"), function (link) {
      link.setAttribute("href", link.getAttribute("data-address"));
      link.removeAttribute("data-address");
    });
    enhance(form);
    return form;
  }

  function remember(event) {
    var field = event.target;
    if (field && field.form && field.form.classList.contains("rate") && "selectionStart" in field) {
      typing = { field: field, start: field.selectionStart, end: field.selectionEnd };
    }
  }

  function forget(event) {
    var field = event.target;
    // Leaving the box is the resident's doing only while it is still on the page.
    window.setTimeout(function () {
      if (typing && typing.field === field && field.isConnected && document.activeElement !== field) {
        typing = null;
      }
    }, 0);
  }

  function decorate() {
    each(list.children, function (card) {
      var id = card.dataset.turnId;
      if (!id || !/^\d+$/.test(id) || !answered(card) || card.querySelector("form.rate")) {
        return;
      }
      var form = kept[id] || build(id);
      kept[id] = form;
      card.appendChild(form);
    });
    if (typing && typing.field.isConnected && document.activeElement !== typing.field) {
      var field = typing.field;
      field.focus();
      if (field.setSelectionRange) {
        field.setSelectionRange(typing.start, typing.end);
      }
    }
  }

  if (list && template) {
    each(list.querySelectorAll("form.rate"), function (form) {
      kept[form.dataset.turn] = form;
    });
    ["focusin", "input", "keyup", "select", "click"].forEach(function (name) {
      list.addEventListener(name, remember);
    });
    list.addEventListener("focusout", forget);
    new MutationObserver(decorate).observe(list, { childList: true });
  }

  each(document.querySelectorAll("form.rate"), enhance);
  loadMine();
})();
