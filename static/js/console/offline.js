/* Opening the console without a connection: the console's service worker
 * (service-worker.js, served from the console's own address so that it covers that console
 * only) keeps a copy of this page and of the static files it loads. A closed or crashed tab
 * then reopens while the hall's Wi-Fi is down; the turns not yet sent and the draft are in
 * localStorage, as always. The copy of the page is renewed a little after the turns change,
 * so that a reload offline shows the turns as they were last seen. */

import { canWrite, root } from "./shared.js";

const REFRESH_DELAY = 2000;

let refreshTimer = null;

function staticFiles() {
  var prefix = root.dataset.staticUrl || "/static/";
  var found = {};
  function add(href) {
    if (!href) {
      return;
    }
    try {
      var url = new URL(href, window.location.href);
      if (url.origin === window.location.origin && url.pathname.indexOf(prefix) === 0) {
        found[url.href] = true;
      }
    } catch (error) {
      // not an address
    }
  }
  // What the page loaded, the modules the script imported included.
  if (window.performance && typeof window.performance.getEntriesByType === "function") {
    window.performance.getEntriesByType("resource").forEach(function (entry) {
      add(entry.name);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("script[src], link[href]"), function (node) {
    add(node.src || node.href);
  });
  return Object.keys(found);
}

/* Register the console's service worker and hand it the static files to keep. */
export function keepForOffline() {
  var url = root.dataset.serviceWorkerUrl;
  if (!canWrite || !url || !("serviceWorker" in navigator)) {
    return;
  }
  var container = navigator.serviceWorker;
  container.addEventListener("message", function (event) {
    if (event.data && event.data.type === "keep-done") {
      // Everything the page needs is kept: a reload offline will open it.
      root.dataset.offlineReady = "true";
    }
  });
  if (typeof container.startMessages === "function") {
    container.startMessages();
  }
  container
    .register(url, { scope: root.dataset.consoleUrl })
    .then(function () {
      return container.ready;
    })
    .then(function (registration) {
      if (registration.active) {
        registration.active.postMessage({ type: "keep", urls: staticFiles() });
      }
    })
    .catch(function () {
      // Without it the console works as before; only a reload offline is not possible.
    });
}

/* The turns changed: renew the copy of the page a little later (once for a burst). */
export function renewCopy() {
  var controller = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!controller) {
    return;
  }
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(function () {
    controller.postMessage({ type: "refresh" });
  }, REFRESH_DELAY);
}
