/* "Tôi cũng quan tâm" on the public list of questions (templates/questions/public_list.html).
 *
 * The page is the same for every visitor, so it says nothing of this phone: the script asks
 * which questions the phone supports (a small no-store JSON answer, with the counts as they
 * are now) and marks their buttons as pressed. A press is sent with fetch and the count
 * changes in place; pressing a pressed button withdraws. Without this script the same buttons
 * are plain forms that come back to the list with a message.
 */
(function () {
  "use strict";

  var root = document.getElementById("supports");
  if (!root || !window.fetch || !window.FormData) {
    return;
  }
  var messageBox = root.querySelector(".sp-message");
  var locale = document.documentElement.lang || undefined;

  function text(name, values) {
    var value = root.dataset["text" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.replace("{" + key + "}", values[key]);
    });
    return value;
  }

  function item(id) {
    return root.querySelector('.sp-item[data-id="' + id + '"]');
  }

  function setCount(node, count) {
    var box = node && node.querySelector(".sp-count");
    if (!box || typeof count !== "number") {
      return;
    }
    box.dataset.count = String(count);
    box.textContent = text(count === 1 ? "One" : "Other", { count: count.toLocaleString(locale) });
  }

  function setPressed(node, pressed) {
    var button = node && node.querySelector(".sp-button");
    if (!button) {
      return;
    }
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
    var hint = node.querySelector(".sp-pressed");
    if (hint) {
      hint.hidden = !pressed;
      if (pressed && hint.id) {
        button.setAttribute("aria-describedby", hint.id);
      }
    }
    var offer = node.querySelector(".sp-offer");
    if (offer) {
      // The pressed button withdraws now: the form for pages without a script goes.
      offer.hidden = true;
    }
    var action = node.querySelector('.sp-form input[name="intent"]');
    if (action) {
      action.value = pressed ? "withdraw" : "support";
    }
  }

  function say(message, level) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = message || "";
    messageBox.className = "sp-message" + (level ? " level-" + level : "");
  }

  function itemError(node, message) {
    var box = node && node.querySelector(".sp-error");
    if (box) {
      box.textContent = message || "";
      box.hidden = !message;
    }
  }

  /* -- what this phone supports -------------------------------------------------------------- */

  function mark() {
    fetch(root.dataset.mineUrl, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body) {
          return;
        }
        var mine = {};
        (body.supported || []).forEach(function (id) {
          mine[id] = true;
        });
        Array.prototype.forEach.call(root.querySelectorAll(".sp-item"), function (node) {
          setPressed(node, !!mine[node.dataset.id]);
          if (body.counts && typeof body.counts[node.dataset.id] === "number") {
            setCount(node, body.counts[node.dataset.id]);
          }
        });
      })
      .catch(function () {
        /* The buttons still work; they are only not marked. */
      });
  }

  /* -- a press ------------------------------------------------------------------------------- */

  function send(form) {
    var node = form.closest(".sp-item");
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.classList.add("sp-busy");
    }
    itemError(node, "");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    })
      .then(
        function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === -1) {
            return { ok: false, message: text("NotSent") };
          }
          return response.json();
        },
        function () {
          return { ok: false, message: text("NotSent") };
        }
      )
      .then(function (body) {
        if (button) {
          button.disabled = false;
          button.classList.remove("sp-busy");
        }
        if (body && body.ok) {
          setPressed(node, !!body.supported);
          setCount(node, body.count);
          say(body.message, "success");
          return;
        }
        itemError(node, (body && body.message) || text("NotSent"));
      });
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !(form.classList.contains("sp-form") || form.classList.contains("sp-offer"))) {
      return;
    }
    event.preventDefault();
    send(form);
  });

  Array.prototype.forEach.call(root.querySelectorAll(".sp-item"), function (node) {
    var hint = node.querySelector(".sp-pressed");
    if (hint) {
      hint.id = "sp-pressed-" + node.dataset.id;
    }
    var button = node.querySelector(".sp-button");
    if (button) {
      button.setAttribute("aria-pressed", "false");
    }
  });
  mark();
})();
