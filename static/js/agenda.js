/* Planning a conference, progressively enhanced. Without this script every form still works:
 *  - the agenda's up/down buttons post and reload the page;
 *  - the people pickers offer the ward's leaders in plain lists.
 * With it: the agenda reorders in place (buttons or drag and drop) and the order is saved at
 * once; each picker gets a search as you type over the whole directory (accents optional). */
(function () {
  "use strict";

  if (!window.fetch || !window.FormData) {
    return;
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

  /* -- the agenda ---------------------------------------------------------------------------- */

  function setUpAgenda(list) {
    var url = list.getAttribute("data-reorder-url");
    var token = list.getAttribute("data-csrf-token") || "";
    var status = document.querySelector("[data-agenda-status]");
    var dragged = null;
    var orderBefore = null;

    function items() {
      return Array.prototype.slice.call(list.querySelectorAll("li[data-item-id]"));
    }

    function currentOrder() {
      return items().map(function (item) {
        return item.getAttribute("data-item-id");
      });
    }

    function say(message) {
      if (status) {
        status.textContent = message;
      }
    }

    function refresh() {
      var all = items();
      all.forEach(function (item, index) {
        var position = item.querySelector("[data-position]");
        if (position) {
          position.textContent = index + 1 + ".";
        }
        var up = item.querySelector("[data-move-button=up]");
        var down = item.querySelector("[data-move-button=down]");
        if (up) {
          up.disabled = index === 0;
        }
        if (down) {
          down.disabled = index === all.length - 1;
        }
      });
    }

    // One save at a time: moves made while a save is on its way are sent, as one, after it.
    var saving = false;
    var again = false;

    function save(fallbackForm) {
      if (saving) {
        again = true;
        return;
      }
      saving = true;
      again = false;
      say(list.getAttribute("data-saving-text") || "");
      var body = new FormData();
      body.append("order", currentOrder().join(","));
      body.append("csrf_token", token);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, Accept: "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok || !data.ok) {
              throw new Error(data.message || "not saved");
            }
            saving = false;
            if (again) {
              save(null);
              return;
            }
            say(data.message || "");
          });
        })
        .catch(function () {
          saving = false;
          if (fallbackForm && !again) {
            // Let the server do it the plain way.
            fallbackForm.submit();
            return;
          }
          say(list.getAttribute("data-error-text") || "");
          window.setTimeout(function () {
            window.location.reload();
          }, 1500);
        });
    }

    // The up/down buttons: move in place, keep the focus on the moved item, save.
    list.addEventListener("submit", function (event) {
      var form = event.target;
      var direction = form.getAttribute("data-move");
      if (!direction) {
        return;
      }
      event.preventDefault();
      var item = form.closest("li[data-item-id]");
      var sibling = direction === "up" ? item.previousElementSibling : item.nextElementSibling;
      if (!sibling) {
        return;
      }
      if (direction === "up") {
        list.insertBefore(item, sibling);
      } else {
        list.insertBefore(sibling, item);
      }
      refresh();
      var button = item.querySelector("[data-move-button=" + direction + "]");
      if (button && button.disabled) {
        button = item.querySelector("[data-move-button=" + (direction === "up" ? "down" : "up") + "]");
      }
      if (button) {
        button.focus();
      }
      save(form);
    });

    // Drag and drop (HTML5): the items follow the pointer; the order is saved on drop.
    items().forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.classList.add("is-draggable");
    });

    list.addEventListener("dragstart", function (event) {
      var item = event.target.closest ? event.target.closest("li[data-item-id]") : null;
      if (!item) {
        return;
      }
      dragged = item;
      orderBefore = currentOrder().join(",");
      item.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.getAttribute("data-item-id"));
    });

    list.addEventListener("dragover", function (event) {
      if (!dragged) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      var over = event.target.closest ? event.target.closest("li[data-item-id]") : null;
      if (!over || over === dragged) {
        return;
      }
      var box = over.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextElementSibling : over);
    });

    list.addEventListener("drop", function (event) {
      if (dragged) {
        event.preventDefault();
      }
    });

    list.addEventListener("dragend", function () {
      if (!dragged) {
        return;
      }
      dragged.classList.remove("is-dragging");
      dragged = null;
      refresh();
      if (currentOrder().join(",") !== orderBefore) {
        save(null);
      }
    });
  }

  /* -- the people pickers -------------------------------------------------------------------- */

  var SEARCH_DELAY = 200;

  function setUpPicker(picker) {
    var box = picker.querySelector("[data-picker-search]");
    var input = picker.querySelector("[data-picker-input]");
    var results = picker.querySelector("[data-picker-results]");
    var status = picker.querySelector("[data-picker-status]");
    if (!box || !input || !results) {
      return;
    }
    var multiple = picker.getAttribute("data-picker") === "multiple";
    var url = input.getAttribute("data-search-url");
    var timer = null;
    var pending = null;
    var lastTerm = "";
    box.hidden = false;

    function say(message) {
      if (status) {
        status.textContent = message;
      }
    }

    function choose(person) {
      if (multiple) {
        var name = picker.getAttribute("data-name");
        var options = picker.querySelector("[data-picker-options]");
        var existing = options.querySelector("input[value='" + person.id + "']");
        if (!existing) {
          var empty = options.querySelector("[data-picker-empty]");
          if (empty) {
            empty.remove();
          }
          var li = element("li");
          var label = element("label", "check");
          existing = document.createElement("input");
          existing.type = "checkbox";
          existing.name = name;
          existing.value = String(person.id);
          existing.id = name + "-found-" + person.id;
          label.appendChild(existing);
          label.appendChild(document.createTextNode(" " + person.label));
          li.appendChild(label);
          options.appendChild(li);
        }
        existing.checked = true;
      } else {
        var select = document.getElementById(picker.getAttribute("data-target"));
        var option = select.querySelector("option[value='" + person.id + "']");
        if (!option) {
          option = element("option", null, person.label);
          option.value = String(person.id);
          select.appendChild(option);
        }
        select.value = String(person.id);
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      results.textContent = "";
      input.value = "";
      lastTerm = "";
      say((picker.getAttribute("data-chosen-text") || "{name}").replace("{name}", person.label));
    }

    function show(found) {
      results.textContent = "";
      if (!found.length) {
        say(picker.getAttribute("data-none-text") || "");
        return;
      }
      say("");
      found.forEach(function (person) {
        var li = element("li");
        var button = element("button", "picker-result");
        button.type = "button";
        button.appendChild(element("span", "picker-name", person.label));
        if (person.detail) {
          button.appendChild(element("span", "picker-detail", person.detail));
        }
        button.addEventListener("click", function () {
          choose(person);
          input.focus();
        });
        li.appendChild(button);
        results.appendChild(li);
      });
    }

    function search() {
      var term = input.value.trim();
      if (term === lastTerm) {
        return;
      }
      lastTerm = term;
      if (pending) {
        pending.abort();
        pending = null;
      }
      if (!term) {
        results.textContent = "";
        say("");
        return;
      }
      pending = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(term), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("search failed");
          }
          return response.json();
        })
        .then(function (data) {
          show(data.results || []);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          say(picker.getAttribute("data-error-text") || "");
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, SEARCH_DELAY);
    });
    input.addEventListener("keydown", function (event) {
      // Enter picks the first result instead of submitting the whole plan.
      if (event.key === "Enter") {
        event.preventDefault();
        var first = results.querySelector("button");
        if (first) {
          first.click();
        } else {
          window.clearTimeout(timer);
          search();
        }
      }
    });
  }

  var agenda = document.getElementById("agenda");
  if (agenda && agenda.hasAttribute("data-reorder-url")) {
    setUpAgenda(agenda);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), setUpPicker);
})();
