/* The sign-in page forgets the consoles' offline copies (static/js/console/service-worker.js):
 * after a sign-out, the next person at this browser must not open someone else's console from
 * the cache while the hall's Wi-Fi is down. Unsent turns stay: they live in localStorage, per
 * user, and are sent when their secretary signs in again. */
(function () {
  "use strict";
  if (!window.caches || !window.caches.keys) {
    return;
  }
  window.caches.keys().then(function (names) {
    names.forEach(function (name) {
      if (name.indexOf("dialogue-console-") === 0) {
        window.caches.delete(name);
      }
    });
  });
})();
