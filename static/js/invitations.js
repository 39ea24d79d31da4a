// Search as you type above the invitation list. Without this script the search form still
// works: it reloads the page with the results. The server renders the results either way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-search]");
  if (!form || !window.fetch || !window.AbortController) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var results = document.getElementById(form.getAttribute("data-results"));
  if (!input || !results) {
    return;
  }
  var endpoint = form.getAttribute("data-live-search");
  var timer = null;
  var pending = null;
  var lastTerm = input.value.trim();

  function search() {
    var term = input.value.trim();
    if (term === lastTerm) {
      return;
    }
    lastTerm = term;
    if (pending) {
      pending.abort();
    }
    pending = new AbortController();
    fetch(endpoint + "?q=" + encodeURIComponent(term), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: pending.signal
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("search failed: " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        // The server escapes every name; the fragment holds its own CSRF tokens.
        results.innerHTML = html;
        var url = new URL(window.location.href);
        if (term) {
          url.searchParams.set("q", term);
        } else {
          url.searchParams.delete("q");
        }
        window.history.replaceState(null, "", url.pathname + url.search + "#find");
      })
      .catch(function (error) {
        if (error.name !== "AbortError") {
          lastTerm = null; // let the next keystroke, or the Search button, try again
        }
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
})();
