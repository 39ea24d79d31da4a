/* The check-in desk: scan or type a code, find a name as you type, add a walk-in, and see the
 * other desks' check-ins and the counts within a few seconds. Without this script every form
 * still works (POST, redirect, flashed message). */
(function () {
  "use strict";

  var desk = document.getElementById("desk");
  if (!desk || !window.fetch) {
    return;
  }

  var POLL_INTERVAL = 2500;
  var POLL_MAX_INTERVAL = 15000;
  var SEARCH_DELAY = 150;
  var TOKEN_LIKE = /^[A-Za-z0-9_-]{16,40}$/;

  function text(name, values) {
    var value = desk.dataset["text" + name] || "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.replace("{" + key + "}", values[key]);
    });
    return value;
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

  function csrfToken() {
    return desk.dataset.csrf || "";
  }

  /* -- talking to the server ---------------------------------------------------------------- */

  function NotSent(kind) {
    this.kind = kind;
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    }).then(
      function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          // A sign-in page after a redirect, or the "form expired" page: the session is gone.
          throw new NotSent(response.status >= 500 ? "failed" : "expired");
        }
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        });
      },
      function () {
        throw new NotSent("failed");
      }
    );
  }

  function notSentMessage(error) {
    return error && error.kind === "expired" ? text("Expired") : text("NotSent");
  }

  /* -- messages ----------------------------------------------------------------------------- */

  var messageBox = document.getElementById("desk-message");

  function show(level, message, scanned) {
    if (!messageBox) {
      return;
    }
    messageBox.textContent = "";
    var paragraph = element("p", "level-" + level, message);
    if (scanned) {
      paragraph.appendChild(element("span", "scanned", scanned));
    }
    messageBox.appendChild(paragraph);
  }

  /* -- live counts and latest check-ins ----------------------------------------------------- */

  var liveUrl = desk.dataset.liveUrl;
  var liveState = document.getElementById("live-state");
  var etag = null;
  var pollTimer = null;
  var polling = false;
  var pollAgain = false;
  var failures = 0;
  var seen = null;

  function setNumber(id, value) {
    var node = document.getElementById(id);
    if (node) {
      node.textContent = String(value);
    }
  }

  function renderCountRows(kind, rows, total) {
    var body = document.getElementById("counts-" + kind);
    if (!body) {
      return;
    }
    var fresh = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = element("tr");
      tr.dataset.key = row.key;
      var label = element("th", null, row.label);
      label.scope = "row";
      tr.appendChild(label);
      ["invited", "present", "excused", "uninvited"].forEach(function (name) {
        tr.appendChild(element("td", "num", String(row[name])));
      });
      fresh.appendChild(tr);
    });
    body.textContent = "";
    body.appendChild(fresh);
    var table = body.closest("table");
    ["invited", "present", "excused", "uninvited"].forEach(function (name) {
      var cell = table && table.querySelector('tfoot [data-total="' + name + '"]');
      if (cell) {
        cell.textContent = String(total[name]);
      }
    });
  }

  function undoForm(url, label, small) {
    var form = element("form", "inline");
    form.method = "post";
    form.action = url;
    var token = element("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrfToken();
    form.appendChild(token);
    var button = element("button", "button danger" + (small ? " small" : ""), label);
    button.type = "submit";
    form.appendChild(button);
    return form;
  }

  function renderLatest(items) {
    var list = document.getElementById("latest-list");
    if (!list) {
      return;
    }
    var open = desk.dataset.open === "true";
    var previous = seen;
    seen = {};
    list.textContent = "";
    if (!items.length) {
      list.appendChild(element("li", "latest-empty muted", text("Nobody")));
    }
    items.forEach(function (item) {
      var key = item.id + "@" + item.time + "@" + item.status;
      seen[key] = true;
      var li = element("li", "latest-item");
      if (previous && !previous[key]) {
        li.classList.add("fresh");
      }
      li.appendChild(element("span", "time", item.time));
      var who = element("span", "who");
      who.appendChild(element("strong", "name", item.name));
      who.appendChild(element("span", "status status-" + item.status, item.status_title));
      if (item.by) {
        who.appendChild(element("span", "muted by", item.by));
      }
      li.appendChild(who);
      if (open) {
        li.appendChild(undoForm(item.undo_url, item.undo_label, true));
      }
      list.appendChild(li);
    });
  }

  function renderLive(data) {
    var total = data.counts.total;
    setNumber("total-present", total.present);
    setNumber("total-invited", total.invited);
    setNumber("total-excused", total.excused);
    setNumber("total-uninvited", total.uninvited);
    renderCountRows("group", data.counts.by_group, total);
    renderCountRows("category", data.counts.by_category, total);
    renderLatest(data.latest);
  }

  function setLiveState(offline) {
    if (!liveState) {
      return;
    }
    if (offline) {
      liveState.textContent = text("Offline");
      liveState.classList.add("offline");
      return;
    }
    var now = new Date();
    var time = [now.getHours(), now.getMinutes(), now.getSeconds()]
      .map(function (part) {
        return (part < 10 ? "0" : "") + part;
      })
      .join(":");
    liveState.textContent = text("Updated", { time: time });
    liveState.classList.remove("offline");
  }

  function schedulePoll(delay) {
    window.clearTimeout(pollTimer);
    if (!liveUrl || document.hidden) {
      return;
    }
    pollTimer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    var headers = { Accept: "application/json" };
    if (etag) {
      headers["If-None-Match"] = etag;
    }
    fetch(liveUrl, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 304) {
          return null;
        }
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("live " + response.status);
        }
        var tag = response.headers.get("ETag");
        return response.json().then(function (data) {
          etag = tag;
          return data;
        });
      })
      .then(function (data) {
        if (data) {
          renderLive(data);
        }
        failures = 0;
        setLiveState(false);
      })
      .catch(function () {
        // A flaky connection: try again quietly, a little later each time.
        failures += 1;
        if (failures >= 2) {
          setLiveState(true);
        }
      })
      .then(function () {
        polling = false;
        if (pollAgain) {
          pollAgain = false;
          schedulePoll(0);
        } else {
          schedulePoll(Math.min(POLL_INTERVAL * (1 + failures), POLL_MAX_INTERVAL));
        }
      });
  }

  function pollNow() {
    schedulePoll(0);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(pollTimer);
    } else {
      pollNow();
    }
  });
  schedulePoll(POLL_INTERVAL);

  /* -- everything below belongs to the desk page, not to the counts page -------------------- */

  var codeForm = document.getElementById("code-form");
  if (!codeForm) {
    return;
  }
  var tokenInput = codeForm.querySelector('input[name="token"]');
  var searchForm = document.getElementById("search-form");
  var searchInput = searchForm && searchForm.querySelector('input[name="q"]');
  var results = document.getElementById("search-results");
  var walkInForm = document.getElementById("walk-in-form");

  function clearFieldErrors(form) {
    form.querySelectorAll(".field.has-error").forEach(function (field) {
      field.classList.remove("has-error");
    });
    form.querySelectorAll(".field .error").forEach(function (node) {
      node.remove();
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (node) {
      node.removeAttribute("aria-invalid");
    });
    var summary = form.parentNode.querySelector(".form-errors");
    if (summary) {
      summary.remove();
    }
  }

  function readyForNextScan() {
    tokenInput.focus();
  }

  /* Scanned codes: the USB scanner types the code and Enter. */

  function sendCode(value) {
    var data = new FormData(codeForm);
    data.set("token", value);
    clearFieldErrors(codeForm);
    tokenInput.value = "";
    readyForNextScan();
    post(codeForm.action, data)
      .then(function (result) {
        var body = result.body;
        show(body.level, body.message, body.ok ? null : value);
        pollNow();
        refreshSearch();
      })
      .catch(function (error) {
        // Not sent: keep what was scanned, so Enter sends it again.
        if (!tokenInput.value) {
          tokenInput.value = value;
          tokenInput.select();
        }
        show("error", notSentMessage(error), value);
      });
  }

  codeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var value = tokenInput.value.trim();
    if (!value) {
      readyForNextScan();
      return;
    }
    sendCode(value);
  });

  tokenInput.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      tokenInput.value = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    // Escape anywhere brings the clerk back to the scanning box.
    if (event.key === "Escape" && document.activeElement !== tokenInput) {
      readyForNextScan();
    }
  });

  /* Name search as you type. */

  var searchTimer = null;
  var searchController = null;
  var lastQuery = "";

  function statusBadge(item) {
    var label = item.status_title + (item.time ? " " + item.time : "");
    return element("span", "status status-" + item.status, label);
  }

  function markForm(item) {
    var form = element("form", "inline");
    form.method = "post";
    form.action = item.mark_url;
    var token = element("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrfToken();
    form.appendChild(token);
    [
      ["present", "button primary", text("Present")],
      ["excused", "button", text("Excused")]
    ].forEach(function (spec) {
      var button = element("button", spec[1], spec[2]);
      button.type = "submit";
      button.name = "status";
      button.value = spec[0];
      form.appendChild(button);
    });
    return form;
  }

  function personForm(item) {
    var form = undoForm(item.check_in_url, text("CheckInUninvited"), false);
    form.querySelector("button").className = "button";
    return form;
  }

  function resultItem(item, forms) {
    var li = element("li", "result");
    var who = element("div", "who");
    who.appendChild(element("strong", "name", item.name));
    if (item.detail) {
      who.appendChild(element("span", "muted detail", item.detail));
    }
    if (item.status) {
      who.appendChild(statusBadge(item));
    }
    li.appendChild(who);
    if (desk.dataset.open === "true") {
      var actions = element("div", "result-actions");
      forms.forEach(function (form) {
        actions.appendChild(form);
      });
      li.appendChild(actions);
    }
    return li;
  }

  function renderResults(data) {
    results.textContent = "";
    if (!data.attendees.length && !data.people.length) {
      results.appendChild(element("p", null, text("NoMatch")));
      return;
    }
    if (data.attendees.length) {
      results.appendChild(element("h3", null, text("OnList")));
      var list = element("ul", "results");
      data.attendees.forEach(function (item) {
        var forms = [markForm(item)];
        if (item.status !== "expected" || !item.invited) {
          forms.push(undoForm(item.undo_url, item.undo_label, false));
        }
        list.appendChild(resultItem(item, forms));
      });
      results.appendChild(list);
    }
    if (data.people.length) {
      results.appendChild(element("h3", null, text("Directory")));
      var people = element("ul", "results");
      data.people.forEach(function (item) {
        people.appendChild(resultItem(item, [personForm(item)]));
      });
      results.appendChild(people);
    }
  }

  function runSearch() {
    var query = searchInput.value.trim();
    lastQuery = query;
    if (searchController) {
      searchController.abort();
    }
    if (query.replace(/\s+/g, "").length < 2) {
      results.textContent = "";
      return;
    }
    searchController = window.AbortController ? new AbortController() : null;
    var url = desk.dataset.searchUrl + "?q=" + encodeURIComponent(query);
    fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      signal: searchController ? searchController.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("search " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (query === lastQuery) {
          renderResults(data);
        }
      })
      .catch(function () {
        // Typing goes on; the next keystroke searches again.
      });
  }

  function refreshSearch() {
    if (searchInput && searchInput.value.trim()) {
      runSearch();
    }
  }

  if (searchForm && searchInput && results) {
    searchInput.addEventListener("input", function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(runSearch, SEARCH_DELAY);
    });
    searchForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = searchInput.value.trim();
      // A scanner that typed into the search box: the code goes where codes go.
      if (TOKEN_LIKE.test(value) || value.indexOf("://") !== -1) {
        searchInput.value = "";
        results.textContent = "";
        sendCode(value);
        return;
      }
      window.clearTimeout(searchTimer);
      runSearch();
    });
  }

  /* Buttons in the results and the latest list: present, excused, undo, add from directory. */

  desk.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.closest("#search-results, #latest-list")) {
      return;
    }
    event.preventDefault();
    var data = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      data.append(submitter.name, submitter.value);
    }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) {
      button.disabled = true;
    });
    post(form.action, data)
      .then(function (result) {
        show(result.body.level, result.body.message);
        pollNow();
        refreshSearch();
        if (searchInput && form.closest("#search-results")) {
          searchInput.focus();
          searchInput.select();
        } else {
          readyForNextScan();
        }
      })
      .catch(function (error) {
        show("error", notSentMessage(error));
      })
      .then(function () {
        buttons.forEach(function (button) {
          button.disabled = false;
        });
      });
  });

  /* Walk-ins. */

  function showFieldErrors(form, errors) {
    Object.keys(errors).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      var field = input && input.closest(".field");
      if (!field) {
        return;
      }
      field.classList.add("has-error");
      input.setAttribute("aria-invalid", "true");
      var message = element("p", "error", errors[name].join(" "));
      message.id = input.id + "-error";
      input.setAttribute("aria-describedby", message.id);
      field.appendChild(message);
    });
  }

  if (walkInForm) {
    walkInForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(walkInForm);
      clearFieldErrors(walkInForm);
      post(walkInForm.action, data)
        .then(function (result) {
          var body = result.body;
          show(body.level, body.message);
          if (body.ok) {
            walkInForm.reset();
            document.getElementById("same-name").hidden = true;
            pollNow();
            readyForNextScan();
            return;
          }
          if (body.errors) {
            showFieldErrors(walkInForm, body.errors);
          }
          if (body.duplicate) {
            document.getElementById("same-name").hidden = false;
          }
          var invalid = walkInForm.querySelector('[aria-invalid="true"]');
          if (invalid) {
            invalid.focus();
          }
        })
        .catch(function (error) {
          // Nothing typed is lost: the form keeps its values.
          show("error", notSentMessage(error));
        });
    });
  }

  /* A phone's camera, where the browser can read QR codes (Chromium on Android). */

  var cameraButton = document.getElementById("camera-button");
  var cameraNote = document.getElementById("camera-note");
  var cameraBox = document.getElementById("camera");
  var video = document.getElementById("camera-video");
  var stopButton = document.getElementById("camera-stop");
  var stream = null;
  var detector = null;
  var lastCode = "";
  var lastCodeAt = 0;

  function cameraUnavailable(message) {
    cameraButton.disabled = true;
    cameraButton.textContent = message;
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
    }
    stream = null;
    video.srcObject = null;
    cameraBox.hidden = true;
    cameraButton.hidden = false;
  }

  function scanFrame() {
    if (!stream) {
      return;
    }
    detector
      .detect(video)
      .then(function (codes) {
        var now = Date.now();
        if (codes.length) {
          var value = codes[0].rawValue || "";
          // The same letter held in front of the camera is sent once.
          if (value && (value !== lastCode || now - lastCodeAt > 5000)) {
            lastCode = value;
            lastCodeAt = now;
            if (navigator.vibrate) {
              navigator.vibrate(80);
            }
            sendCode(value);
          }
        }
        window.setTimeout(scanFrame, 200);
      })
      .catch(function () {
        window.setTimeout(scanFrame, 500);
      });
  }

  function startCamera() {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (media) {
        stream = media;
        detector = detector || new window.BarcodeDetector({ formats: ["qr_code"] });
        video.srcObject = media;
        cameraBox.hidden = false;
        cameraButton.hidden = true;
        if (cameraNote) {
          cameraNote.hidden = true;
        }
        return video.play().then(scanFrame);
      })
      .catch(function () {
        stopCamera();
        if (cameraNote) {
          cameraNote.textContent = text("CameraDenied");
          cameraNote.hidden = false;
        }
      });
  }

  if (cameraButton && cameraBox && video) {
    cameraButton.hidden = false;
    var canScan =
      "BarcodeDetector" in window &&
      navigator.mediaDevices &&
      typeof navigator.mediaDevices.getUserMedia === "function";
    if (!canScan) {
      cameraUnavailable(text("CameraNone"));
    } else {
      if (typeof window.BarcodeDetector.getSupportedFormats === "function") {
        window.BarcodeDetector.getSupportedFormats()
          .then(function (formats) {
            if (formats.indexOf("qr_code") === -1) {
              cameraUnavailable(text("CameraNone"));
            }
          })
          .catch(function () {
            cameraUnavailable(text("CameraNone"));
          });
      }
      cameraButton.addEventListener("click", startCamera);
      stopButton.addEventListener("click", function () {
        stopCamera();
        readyForNextScan();
      });
      window.addEventListener("pagehide", stopCamera);
    }
  }
})();
