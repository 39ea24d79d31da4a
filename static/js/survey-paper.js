/* Paper survey forms, typed in at the keyboard: Enter saves the line without leaving the page,
 * the list and the counts follow, the cursor goes back to the first box. A mistake is said in
 * place and nothing typed is lost. Without this script the same form posts and the page comes
 * back with the cursor in the first box. */
(function () {
  "use strict";

  var form = document.getElementById("paper-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var tally = document.getElementById("tally");
  var comment = document.getElementById("comment");
  var number = document.getElementById("paper_number");
  var message = document.getElementById("paper-message");
  var list = document.getElementById("paper-entries");
  var empty = document.getElementById("paper-empty");
  var summary = document.getElementById("paper-summary");
  var limit = parseInt(list.getAttribute("data-limit"), 10) || 12;
  var fields = { tally: tally, comment: comment, paper_number: number };
  var busy = false;

  function say(text, level) {
    message.textContent = text || "";
    message.className = "paper-message" + (level ? " level-" + level : "");
  }

  // A refused line: the field is marked and described by the message line, which says why
  // (one message, read out once, right under the line being typed).
  function clearMarks() {
    Object.keys(fields).forEach(function (name) {
      var input = fields[name];
      input.removeAttribute("aria-invalid");
      var box = input.closest(".field");
      if (box) {
        box.classList.remove("has-error");
        // An error the page came with (typed without the script, then reloaded) goes too.
        var old = box.querySelector(".error");
        if (old) {
          old.parentNode.removeChild(old);
        }
      }
      var describedBy = (input.getAttribute("aria-describedby") || "")
        .split(" ")
        .filter(function (id) {
          return id && id !== message.id && id !== input.id + "-error";
        })
        .join(" ");
      if (describedBy) {
        input.setAttribute("aria-describedby", describedBy);
      } else {
        input.removeAttribute("aria-describedby");
      }
    });
  }

  function markField(name) {
    var input = fields[name] || tally;
    input.setAttribute("aria-invalid", "true");
    var box = input.closest(".field");
    if (box) {
      box.classList.add("has-error");
    }
    var describedBy = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (describedBy ? describedBy + " " : "") + message.id);
    return input;
  }

  function fromHtml(html) {
    var holder = document.createElement("ol");
    holder.innerHTML = html.trim();
    return holder.firstElementChild;
  }

  function showSummary(html) {
    if (html && summary) {
      summary.innerHTML = html;
    }
  }

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) {
        return data;
      });
    });
  }

  // Saving a line: the server reads it (the only judge of what a line means) and answers JSON.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    var focusOn = tally;
    send(form.action, new FormData(form))
      .then(function (data) {
        clearMarks();
        if (data.ok) {
          var row = fromHtml(data.row || "");
          if (row) {
            row.classList.add("is-new");
            list.insertBefore(row, list.firstElementChild);
            while (list.children.length > limit) {
              list.removeChild(list.lastElementChild);
            }
            window.setTimeout(function () {
              row.classList.remove("is-new");
            }, 2500);
          }
          if (empty) {
            empty.hidden = true;
          }
          showSummary(data.summary);
          tally.value = "";
          comment.value = "";
          if (data.next_number) {
            number.value = data.next_number;
          }
          say(data.message, "success");
        } else {
          say(data.message, "error");
          focusOn = markField(data.field || "tally");
        }
      })
      .catch(function () {
        say(form.getAttribute("data-offline"), "error");
      })
      .then(function () {
        busy = false;
        focusOn.focus();
        if (focusOn !== tally && focusOn.select) {
          focusOn.select();
        }
      });
  });

  // Taking a form back: the row goes, the counts follow, typing goes on in the first box.
  list.addEventListener("submit", function (event) {
    var undo = event.target;
    if (!undo.classList || !undo.classList.contains("paper-undo")) {
      return;
    }
    event.preventDefault();
    send(undo.action, new FormData(undo))
      .then(function (data) {
        if (data.ok) {
          var row = undo.closest("li");
          if (row) {
            row.parentNode.removeChild(row);
          }
          if (empty && !list.children.length) {
            empty.hidden = false;
          }
          showSummary(data.summary);
          say(data.message, "success");
        } else {
          say(data.message, "error");
        }
      })
      .catch(function () {
        say(form.getAttribute("data-offline"), "error");
      })
      .then(function () {
        tally.focus();
      });
  });
})();
