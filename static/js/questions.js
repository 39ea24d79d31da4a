/* Residents' question pages: copy the private link in one tap, and one question per tap of Send.
 * Without this script the link can still be selected and copied by hand, and the server
 * recognises a form sent twice. */
(function () {
  "use strict";

  var copyButton = document.getElementById("follow-copy");
  var urlBox = document.getElementById("follow-url");
  if (copyButton && urlBox) {
    copyButton.hidden = false;
    var label = copyButton.textContent;
    copyButton.addEventListener("click", function () {
      function done() {
        copyButton.textContent = copyButton.dataset.copied || label;
        window.setTimeout(function () {
          copyButton.textContent = label;
        }, 2500);
      }
      urlBox.focus();
      urlBox.select();
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(urlBox.value).then(done, function () {
          // Not allowed here (an old browser, no secure context): the text stays selected.
          if (document.execCommand && document.execCommand("copy")) {
            done();
          }
        });
      } else if (document.execCommand && document.execCommand("copy")) {
        done();
      }
    });
    urlBox.addEventListener("focus", function () {
      urlBox.select();
    });
  }

  var askForm = document.querySelector("form.ask-form");
  if (askForm) {
    askForm.addEventListener("submit", function () {
      var button = askForm.querySelector("button[type=submit]");
      if (button) {
        // After the browser has taken the form: a second tap while the page loads does nothing.
        window.setTimeout(function () {
          button.disabled = true;
        }, 0);
      }
    });
    window.addEventListener("pageshow", function () {
      // Back to this page from the next one: the button works again.
      var button = askForm.querySelector("button[type=submit]");
      if (button) {
        button.disabled = false;
      }
    });
    var firstError = document.getElementById("form-errors");
    if (firstError) {
      firstError.focus();
    }
  }
})();
