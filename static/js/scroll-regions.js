// Regions that scroll (a wide table on a phone, the console's list of turns, a table of the
// published minutes, whose frozen HTML cannot change) must be reachable by the keyboard, or
// their hidden part cannot be read without a mouse. Whatever scrolls is made focusable and,
// when it has no name of its own, is named after its table's caption or its heading.
(function () {
  "use strict";

  var SELECTOR = ".table-wrap, .minutes-doc table, .turn-list, .plain-text, [data-scroll-region]";
  var MARK = "data-scroll-focusable";

  function scrolls(element) {
    var style = window.getComputedStyle(element);
    var sideways = /auto|scroll/.test(style.overflowX) && element.scrollWidth > element.clientWidth + 1;
    var down = /auto|scroll/.test(style.overflowY) && element.scrollHeight > element.clientHeight + 1;
    return sideways || down;
  }

  function text(element) {
    return element ? element.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function nameOf(element) {
    var table = element.matches("table") ? element : element.querySelector("table");
    if (table) {
      if (table.getAttribute("aria-label")) {
        return table.getAttribute("aria-label");
      }
      var labelledBy = table.getAttribute("aria-labelledby");
      if (labelledBy) {
        return labelledBy.split(/\s+/).map(function (id) {
          return text(document.getElementById(id));
        }).join(" ").trim();
      }
      if (table.caption) {
        return text(table.caption);
      }
    }
    return "";
  }

  function update(element) {
    var wanted = scrolls(element);
    var marked = element.hasAttribute(MARK);
    if (wanted && !marked && !element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "0");
      element.setAttribute(MARK, "");
      // A wrapper becomes a named region; a table is announced as a table already.
      var name = element.matches("table") ? "" : nameOf(element);
      if (name && !element.hasAttribute("role") && !element.hasAttribute("aria-label")) {
        element.setAttribute("role", "region");
        element.setAttribute("aria-label", name);
      }
    } else if (!wanted && marked) {
      element.removeAttribute("tabindex");
      element.removeAttribute(MARK);
      if (element.getAttribute("role") === "region") {
        element.removeAttribute("role");
        element.removeAttribute("aria-label");
      }
    }
  }

  function updateAll() {
    Array.prototype.forEach.call(document.querySelectorAll(SELECTOR), update);
  }

  var pending = false;
  function soon() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        updateAll();
      });
    }
  }

  updateAll();
  window.addEventListener("resize", soon);
  // Lists that grow while the page is open (turns arriving live) start scrolling later, and
  // so do tables when the reader asks for larger text.
  if ("MutationObserver" in window) {
    new MutationObserver(soon).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["class"],
    });
  }
})();
