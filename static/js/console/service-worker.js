/* The console's service worker: the secretaries' console opens while the hall's Wi-Fi is down.
 *
 * Served from the console's own address (live.service_worker), so its scope is that one
 * conference's console and nothing else of the site. It keeps two things, in one cache:
 * - the console page itself, network first: a page from the server is always preferred and
 *   replaces the copy; the copy is what a reload gets when the server cannot be reached;
 * - the static files (styles, scripts, icons) the console loads, network first as well.
 * Nothing else is ever kept: no other staff page, no JSON answer (turns, people, snapshots),
 * no stream. The turns saved but not sent and the draft live in the page's localStorage.
 * A copy is dropped as soon as the server answers the page with a sign-in (signed out). */

"use strict";

const VERSION = "1";
const scope = new URL(self.registration.scope);
const PAGE = scope.pathname; // the console: /conferences/<id>/live/
const STATIC = new URL(self.location.href).searchParams.get("static") || "/static/";
const CACHE = "dialogue-console-" + VERSION + ":" + PAGE;

self.addEventListener("install", function (event) {
  event.waitUntil(
    keepPage().then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  // Older versions of this console's cache go; the consoles of other conferences stay.
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (name) {
              return name !== CACHE && name.indexOf("dialogue-console-") === 0 && name.slice(-PAGE.length - 1) === ":" + PAGE;
            })
            .map(function (name) {
              return caches.delete(name);
            })
        );
      })
      .then(function () {
        return self.clients.claim();
      })
  );
});

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(STATIC) === 0;
}

function isPage(url) {
  return url.origin === self.location.origin && url.pathname === PAGE;
}

/* A page from the server replaces the copy; a sign-in page instead means signed out: the
 * copy goes, so the console of someone signed out cannot be opened from it. */
function remember(url, response) {
  var moved = response.type === "opaqueredirect" || response.redirected;
  if (moved && isPage(url)) {
    return caches.open(CACHE).then(function (cache) {
      return cache.delete(PAGE);
    });
  }
  if (moved || !response.ok || response.type !== "basic") {
    return Promise.resolve();
  }
  return caches.open(CACHE).then(function (cache) {
    return cache.put(isPage(url) ? PAGE : url.href, response);
  });
}

function keepPage() {
  return fetch(PAGE, { credentials: "same-origin", cache: "no-store" }).then(
    function (response) {
      return remember(new URL(PAGE, self.location.origin), response);
    },
    function () {}
  );
}

function keepStatic(hrefs) {
  return Promise.all(
    (hrefs || []).map(function (href) {
      var url = new URL(href, self.location.origin);
      if (!isStatic(url)) {
        return null;
      }
      return fetch(url.href, { credentials: "same-origin" }).then(
        function (response) {
          return remember(url, response);
        },
        function () {}
      );
    })
  );
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  var done;
  if (data.type === "keep") {
    done = keepStatic(data.urls);
  } else if (data.type === "refresh") {
    done = keepPage();
  } else {
    return;
  }
  event.waitUntil(
    done.then(function () {
      if (event.source && typeof event.source.postMessage === "function") {
        event.source.postMessage({ type: data.type + "-done" });
      }
    })
  );
});

function fromNetwork(request, url, fallbackKey) {
  return fetch(request).then(
    function (response) {
      var copy = response.clone();
      return remember(url, copy).then(
        function () {
          return response;
        },
        function () {
          return response;
        }
      );
    },
    function (error) {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(fallbackKey).then(function (kept) {
          if (kept) {
            return kept;
          }
          throw error;
        });
      });
    }
  );
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (request.mode === "navigate") {
    if (isPage(url)) {
      event.respondWith(fromNetwork(request, url, PAGE));
    } else if (url.origin === self.location.origin && url.pathname.indexOf(PAGE + "turns/") === 0) {
      // A turn opened for editing (without the script): offline, the console instead.
      event.respondWith(fromNetworkOnly(request));
    }
    return;
  }
  if (isStatic(url)) {
    event.respondWith(fromNetwork(request, url, url.href));
  }
  // Anything else (the console's JSON, the people search, the live stream) is the network's.
});

/* A turn's own address: never kept (its page holds that turn); offline, the console. */
function fromNetworkOnly(request) {
  return fetch(request).catch(function (error) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(PAGE).then(function (kept) {
        if (kept) {
          return kept;
        }
        throw error;
      });
    });
  });
}
