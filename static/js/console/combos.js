/* Choosing people and areas as you type: the speaker and the answerer from those present
 * (any other name is kept as typed), the procedure area by code or name. */

import { element, fold, initial, root, text } from "./shared.js";

const SEARCH_DELAY = 120;

let form = null;
let changed = null;
let comboCount = 0;
const combos = [];

/* The procedure area's search field, once set up: the form reads, syncs and commits it. */
export let areaCombo = null;

/* Turn the form's speaker, answerer and area fields into combos; changed() keeps the draft. */
export function setupCombos(turnForm, onChange) {
  form = turnForm;
  changed = onChange;
  setupSpeaker();
  setupAnswerer();
  setupArea();
}

function control(name) {
  return form.elements[name];
}

function Combo(input, options) {
  comboCount += 1;
  var self = this;
  var list = element("ul", "combo-list");
  list.id = "combo-list-" + comboCount;
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.removeAttribute("list");
  input.parentNode.classList.add("combo");
  input.parentNode.insertBefore(list, input.nextSibling);
  var items = [];
  var active = -1;
  var timer = null;
  var asked = 0;
  self.input = input;

  function close() {
    list.hidden = true;
    list.textContent = "";
    items = [];
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (node, i) {
      node.setAttribute("aria-selected", i === index ? "true" : "false");
      if (i === index) {
        input.setAttribute("aria-activedescendant", node.id);
        node.scrollIntoView({ block: "nearest" });
      }
    });
  }

  function show(found, term, failed) {
    items = found || [];
    list.textContent = "";
    if (!items.length) {
      var empty = failed && options.unreachable ? options.unreachable : options.empty;
      if (empty && term) {
        var none = element("li", "combo-empty", empty);
        none.setAttribute("aria-disabled", "true");
        list.appendChild(none);
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      return;
    }
    items.forEach(function (item, index) {
      var shown = options.render(item);
      var node = element("li", "combo-option" + (shown.official ? " is-official" : ""));
      node.id = list.id + "-" + index;
      node.setAttribute("role", "option");
      node.appendChild(element("span", "combo-main", shown.main));
      if (shown.detail) {
        node.appendChild(element("span", "combo-detail", shown.detail));
      }
      node.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(index);
      });
      list.appendChild(node);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(options.autoHighlight ? 0 : -1);
  }

  function pick(index) {
    var item = items[index];
    if (!item) {
      return;
    }
    close();
    options.pick(item);
    changed();
  }

  function ask() {
    var term = input.value;
    asked += 1;
    var ticket = asked;
    options.source(term, function (found, failed) {
      if (ticket === asked && document.activeElement === input && input.value === term) {
        show(found, term, failed);
      }
    });
  }

  input.addEventListener("input", function () {
    if (options.typed) {
      options.typed();
    }
    clearTimeout(timer);
    timer = setTimeout(ask, options.delay || 0);
  });
  input.addEventListener("focus", function () {
    if (options.onFocus) {
      ask();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden) {
        ask();
      } else {
        highlight(Math.min(items.length - 1, active + 1));
      }
    } else if (event.key === "ArrowUp" && !list.hidden) {
      event.preventDefault();
      highlight(Math.max(0, active - 1));
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      pick(active);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", function () {
    setTimeout(function () {
      if (options.left) {
        options.left(items, active);
      }
      close();
    }, 0);
  });
  self.close = close;
  combos.push(self);
}

export function closeCombos() {
  combos.forEach(function (combo) {
    combo.close();
  });
}

function fetchPeople(purpose, term, done) {
  var url = root.dataset.peopleUrl + "?q=" + encodeURIComponent(term) + (purpose ? "&for=" + purpose : "");
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.ok ? response.json() : { people: [] };
    })
    .then(
      function (body) {
        done(body.people || [], false);
      },
      function () {
        done([], true); // offline: the name is kept as typed, and matched once back
      }
    );
}

function personDetail(person) {
  return [person.title, person.group || person.organisation].filter(Boolean).join(" · ");
}

function searchable(term) {
  return fold(term).replace(/ /g, "").length >= 2;
}

/* The speaker's name was looked up: "y" in speaker_unchecked when the list of those present
 * could not be asked about it (no connection); the server then matches the name on arrival.
 * An answer about a name since changed says nothing. */
function lookedUp(term, failed) {
  var unchecked = control("speaker_unchecked");
  if (unchecked && control("speaker_name").value === term) {
    unchecked.value = failed ? "y" : "";
    changed();
  }
}

/* A name brought back from the draft as not looked up is asked about again: the lookup may
 * have failed only because the page was being reloaded, or the connection is back since. */
export function lookUpSpeakerAgain() {
  var unchecked = control("speaker_unchecked");
  var term = control("speaker_name") ? control("speaker_name").value : "";
  if (!unchecked || unchecked.value !== "y" || control("speaker_attendee_id").value || !searchable(term)) {
    return;
  }
  fetchPeople("", term, function (_found, failed) {
    lookedUp(term, failed);
  });
}

function setupSpeaker() {
  var input = control("speaker_name");
  if (!input) {
    return;
  }
  var unchecked = control("speaker_unchecked");
  new Combo(input, {
    delay: SEARCH_DELAY,
    empty: text("NoMatch"),
    unreachable: text("NoList"),
    source: function (term, done) {
      if (!searchable(term)) {
        done([]);
        return;
      }
      fetchPeople("", term, function (found, failed) {
        lookedUp(term, failed);
        done(found, failed);
      });
    },
    render: function (person) {
      return { main: person.name, detail: personDetail(person) };
    },
    typed: function () {
      control("speaker_attendee_id").value = "";
      if (unchecked) {
        unchecked.value = "";
      }
    },
    pick: function (person) {
      input.value = person.name;
      control("speaker_attendee_id").value = person.attendee_id || "";
      if (unchecked) {
        unchecked.value = "";
      }
      var group = control("speaker_group_id");
      group.value = String(person.group_id || 0);
      if (group.value !== String(person.group_id || 0)) {
        group.value = "0";
      }
      control("speaker_organisation").value = person.group_id ? "" : person.organisation || "";
    }
  });
}

function setupAnswerer() {
  var input = control("answerer_name");
  if (!input) {
    return;
  }
  var officials = initial.officials || [];
  new Combo(input, {
    delay: SEARCH_DELAY,
    onFocus: true,
    source: function (term, done) {
      var folded = fold(term);
      if (!folded) {
        done(officials);
        return;
      }
      var words = folded.split(" ");
      var local = officials.filter(function (person) {
        var haystack = fold(person.label);
        return words.every(function (word) {
          return haystack.indexOf(word) !== -1;
        });
      });
      if (folded.replace(/ /g, "").length < 2) {
        done(local);
        return;
      }
      fetchPeople("answerer", term, function (found) {
        done(found.length ? found : local);
      });
    },
    render: function (person) {
      return { main: person.label, detail: person.group || person.organisation || "", official: person.official };
    },
    typed: function () {
      control("answerer_attendee_id").value = "";
    },
    pick: function (person) {
      input.value = person.label;
      control("answerer_attendee_id").value = person.attendee_id || "";
    }
  });
}

function setupArea() {
  var select = control("procedure_area_id");
  if (!select) {
    return;
  }
  var options = [];
  Array.prototype.forEach.call(select.options, function (option) {
    if (option.value === "0") {
      return;
    }
    var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : "";
    var code = option.text.split(" · ")[0];
    options.push({ id: option.value, label: option.text, group: group, code: fold(code), folded: fold(option.text + " " + group) });
  });
  var input = element("input");
  input.type = "text";
  input.id = "area-search";
  input.className = "area-search";
  input.placeholder = text("AreaPlaceholder");
  input.autocomplete = "off";
  input.spellcheck = false;
  select.parentNode.insertBefore(input, select);
  select.hidden = true;
  select.tabIndex = -1;
  var label = select.parentNode.querySelector('label[for="procedure_area_id"]');
  if (label) {
    label.htmlFor = "area-search";
  }

  function matches(term) {
    var folded = fold(term);
    if (!folded) {
      return options.slice();
    }
    var words = folded.split(" ");
    var found = options.filter(function (option) {
      return words.every(function (word) {
        return option.folded.indexOf(word) !== -1;
      });
    });
    // A code typed in full comes first: "dd" is Đất đai before "Thủ tục đặc biệt".
    return found.sort(function (a, b) {
      var rank = function (option) {
        return option.code === folded ? 0 : option.code.indexOf(folded) === 0 ? 1 : 2;
      };
      return rank(a) - rank(b);
    });
  }

  function selected() {
    for (var i = 0; i < options.length; i += 1) {
      if (options[i].id === select.value) {
        return options[i];
      }
    }
    return null;
  }

  var combo = new Combo(input, {
    onFocus: true,
    autoHighlight: true,
    empty: text("NoArea"),
    source: function (term, done) {
      var chosen = selected();
      done(matches(chosen && chosen.label === term ? "" : term));
    },
    render: function (option) {
      return { main: option.label, detail: option.group };
    },
    pick: function (option) {
      select.value = option.id;
      input.value = option.label;
    },
    left: function () {
      commit();
      changed();
    }
  });

  /* What was typed but not picked: one match (or a code typed in full) is taken. */
  function commit() {
    var term = input.value;
    var chosen = selected();
    if (!fold(term)) {
      select.value = "0";
    } else if (!chosen || chosen.label !== term) {
      var found = matches(term);
      if (found.length === 1 || (found.length && found[0].code === fold(term))) {
        select.value = found[0].id;
      }
    }
    sync();
  }

  function sync() {
    var chosen = selected();
    input.value = chosen ? chosen.label : "";
  }

  areaCombo = { input: input, sync: sync, close: combo.close, commit: commit };
  sync();
}
