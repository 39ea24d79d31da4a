// The public archive: a large-text option remembered on this device, and a check of a
// downloaded PDF against the published SHA-256, computed in the browser (nothing is uploaded).
(function () {
  "use strict";

  var LARGE_KEY = "dialogue.archive.largeText";

  function stored() {
    try {
      return window.localStorage.getItem(LARGE_KEY) === "1";
    } catch (error) {
      return false; // storage refused (private mode): the option still works for this page
    }
  }

  function remember(on) {
    try {
      if (on) {
        window.localStorage.setItem(LARGE_KEY, "1");
      } else {
        window.localStorage.removeItem(LARGE_KEY);
      }
    } catch (error) {
      /* not remembered, nothing else lost */
    }
  }

  function setLarge(button, on) {
    document.body.classList.toggle("archive-large", on);
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    }
  }

  function initLargeText() {
    var button = document.getElementById("archive-large-text");
    setLarge(button, stored());
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      setLarge(button, on);
      remember(on);
    });
  }

  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = "";
    for (var i = 0; i < bytes.length; i += 1) {
      out += (bytes[i] < 16 ? "0" : "") + bytes[i].toString(16);
    }
    return out;
  }

  function initHashCheck() {
    var box = document.getElementById("archive-hash-check");
    // crypto.subtle exists only on secure pages (https, or this machine): otherwise the hash
    // stays on the page for a reader to compare with their own tool.
    if (!box || !window.crypto || !window.crypto.subtle || !window.FileReader) {
      return;
    }
    var input = document.getElementById("archive-hash-file");
    var result = document.getElementById("archive-hash-result");
    var expected = (box.getAttribute("data-expected") || "").toLowerCase();
    box.hidden = false;

    function say(text, state) {
      result.textContent = text;
      result.classList.toggle("is-match", state === "match");
      result.classList.toggle("is-mismatch", state === "mismatch");
    }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) {
        say("", "");
        return;
      }
      say(box.getAttribute("data-working"), "");
      var reader = new FileReader();
      reader.onload = function () {
        window.crypto.subtle.digest("SHA-256", reader.result).then(
          function (digest) {
            if (hex(digest) === expected) {
              say(box.getAttribute("data-match"), "match");
            } else {
              say(box.getAttribute("data-mismatch"), "mismatch");
            }
          },
          function () {
            say(box.getAttribute("data-failed"), "mismatch");
          }
        );
      };
      reader.onerror = function () {
        say(box.getAttribute("data-failed"), "mismatch");
      };
      reader.readAsArrayBuffer(file);
    });
  }

  initLargeText();
  initHashCheck();
})();
