/* Buttons that destroy something ask first: a button with data-confirm="…" (the post_button
 * macro's `confirm`) submits its form only once the user agrees. Without this script the
 * button submits at once, as a plain form does. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
