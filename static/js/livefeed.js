/* Following a conference live: Server-Sent Events with resume, a snapshot when something was
 * missed, and polling with If-None-Match where streams do not get through (some proxies and
 * phone networks hold them back). Shared by the projector, residents' phones and the console.
 *
 *   var feed = DialogueFeed.connect({
 *     streamUrl, snapshotUrl,        // the SSE stream and its JSON twin (?after=<seq> works on both)
 *     after,                         // optional: the event number the page was rendered at
 *     kinds,                         // optional: more event kinds to listen to
 *     untilClosed,                   // optional: stop once the conference has closed (public screens)
 *     onSnapshot(snapshot), onEvent(event), onConference(facts), onStatus(status)
 *   });
 *
 * Events reach onEvent once each, in the order of their numbers (event.seq). Status is one of
 * "connecting", "live", "reconnecting", "polling", "offline", "ended". */
(function () {
  "use strict";

  var KINDS = [
    "turn.created",
    "turn.updated",
    "turn.withdrawn",
    "turn.restored",
    "turns.reordered",
    "question.received",
    "question.moderated",
    "conference.closed"
  ];
  var ENDED_STATUSES = ["closed", "published", "cancelled"];
  var POLL_INTERVAL = 4000;
  var POLL_LONGEST_INTERVAL = 30000;
  // A stream that fails this many times in a row, without a word in between, gives way to polling.
  var STREAM_FAILURES_BEFORE_POLLING = 3;
  // The server speaks at least every 15 s; a stream silent this long is held back somewhere.
  var FIRST_WORD_WAIT = 15000;
  var SILENCE_LIMIT = 40000;
  // While polling, try a stream again now and then: the network may have changed.
  var STREAM_RETRY_AFTER = 5 * 60 * 1000;
  var RESYNC_RETRY = 3000;
  // A stream the browser gives up on (an error answer from a proxy whose upstream is
  // restarting) is opened again after up to this much more, at random: thousands of screens
  // cut at the same instant must not all come back in the same second. The browser's own
  // retries (a dropped connection) are spread by the "retry:" delay the server draws for
  // each stream, 3 to 15 s.
  var RECONNECT_SPREAD = 4000;

  function withParam(url, name, value) {
    return url + (url.indexOf("?") === -1 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  function parse(event) {
    try {
      return JSON.parse(event.data);
    } catch (error) {
      return null;
    }
  }

  function connect(options) {
    var last = typeof options.after === "number" ? options.after : null;
    var kinds = KINDS.concat(options.kinds || []);
    var status = null;
    var closed = false;
    var source = null;
    var failures = 0;
    var watchdog = null;
    var timer = null;
    var resyncTimer = null;
    var pollDelay = POLL_INTERVAL;
    var pollingSince = 0;
    var etag = null;
    var resyncing = false;
    var held = [];

    function call(name, value) {
      if (typeof options[name] === "function") {
        options[name](value);
      }
    }

    function setStatus(value) {
      if (value !== status) {
        status = value;
        call("onStatus", value);
      }
    }

    function hasEnded(facts) {
      return Boolean(options.untilClosed && facts && ENDED_STATUSES.indexOf(facts.status) !== -1);
    }

    function end() {
      stop();
      closed = true;
      setStatus("ended");
    }

    function conference(facts) {
      if (facts) {
        call("onConference", facts);
        if (hasEnded(facts)) {
          end();
        }
      }
    }

    function applySnapshot(snapshot) {
      last = snapshot.seq;
      call("onSnapshot", snapshot);
      conference(snapshot.conference);
    }

    function apply(event) {
      last = event.seq;
      call("onEvent", event);
      if (event.kind === "conference.closed" && options.untilClosed) {
        end();
      }
    }

    /* An event from the stream: in order, once; a gap means something was lost. */
    function receive(event) {
      if (closed || !event || typeof event.seq !== "number") {
        return;
      }
      if (resyncing) {
        held.push(event);
        return;
      }
      if (last !== null && event.seq <= last) {
        return;
      }
      if (last === null || event.seq > last + 1) {
        held.push(event);
        resync();
        return;
      }
      apply(event);
    }

    function resync() {
      if (resyncing || closed) {
        return;
      }
      resyncing = true;
      fetchJson(options.snapshotUrl, false).then(
        function (body) {
          resyncing = false;
          if (closed) {
            return;
          }
          applySnapshot(body);
          var waiting = held.sort(function (a, b) {
            return a.seq - b.seq;
          });
          held = [];
          waiting.forEach(receive);
        },
        function () {
          resyncing = false;
          resyncTimer = setTimeout(resync, RESYNC_RETRY);
        }
      );
    }

    function fetchJson(url, conditional) {
      var headers = { Accept: "application/json" };
      if (conditional && etag) {
        headers["If-None-Match"] = etag;
      }
      // no-store: the script, not the browser's cache, keeps the ETag and sees the 304.
      return fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" }).then(
        function (response) {
          if (response.status === 304) {
            return null;
          }
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("application/json") === -1) {
            throw new Error("live feed: " + response.status);
          }
          etag = response.headers.get("ETag") || etag;
          return response.json();
        }
      );
    }

    /* -- the stream ------------------------------------------------------------------------ */

    function heard() {
      failures = 0;
      setStatus("live");
      armWatchdog(SILENCE_LIMIT);
    }

    function armWatchdog(delay) {
      clearTimeout(watchdog);
      watchdog = setTimeout(function () {
        streamFailed(true);
      }, delay);
    }

    function listen(kind, handler) {
      source.addEventListener(kind, function (event) {
        heard();
        var data = parse(event);
        if (data) {
          handler(data);
        }
      });
    }

    function openStream() {
      if (closed) {
        return;
      }
      setStatus(status === null ? "connecting" : "reconnecting");
      var url = last !== null ? withParam(options.streamUrl, "after", last) : options.streamUrl;
      source = new EventSource(url);
      listen("snapshot", function (snapshot) {
        var waiting = held;
        held = [];
        applySnapshot(snapshot);
        waiting.forEach(receive);
      });
      listen("ping", function (ping) {
        // "You have everything up to this number."
        if (!resyncing && (last === null || ping.seq > last)) {
          last = ping.seq;
        }
      });
      kinds.forEach(function (kind) {
        listen(kind, receive);
      });
      source.onopen = function () {
        armWatchdog(FIRST_WORD_WAIT);
      };
      source.onerror = function () {
        streamFailed(source && source.readyState === EventSource.CLOSED);
      };
      armWatchdog(FIRST_WORD_WAIT + SILENCE_LIMIT);
    }

    function closeStream() {
      clearTimeout(watchdog);
      if (source) {
        source.close();
        source = null;
      }
    }

    function streamFailed(isDead) {
      if (closed) {
        return;
      }
      failures += 1;
      if (failures >= STREAM_FAILURES_BEFORE_POLLING) {
        closeStream();
        startPolling();
        return;
      }
      setStatus(navigator.onLine === false ? "offline" : "reconnecting");
      if (isDead) {
        // The browser gives up on an answer that is not a stream; we try again ourselves.
        closeStream();
        timer = setTimeout(openStream, 1000 * failures + Math.random() * RECONNECT_SPREAD);
      }
    }

    /* -- polling --------------------------------------------------------------------------- */

    function startPolling() {
      pollingSince = Date.now();
      pollDelay = POLL_INTERVAL;
      setStatus("polling");
      // Screens that gave up on their streams together do not poll in step either.
      timer = setTimeout(poll, Math.random() * POLL_INTERVAL);
    }

    function poll() {
      if (closed) {
        return;
      }
      var url = last !== null ? withParam(options.snapshotUrl, "after", last) : options.snapshotUrl;
      fetchJson(url, true).then(
        function (body) {
          if (closed) {
            return;
          }
          setStatus("polling");
          pollDelay = POLL_INTERVAL;
          if (body && body.type === "events") {
            body.events.forEach(function (event) {
              if (last === null || event.seq > last) {
                apply(event);
              }
            });
            last = body.seq;
            conference(body.conference);
          } else if (body) {
            applySnapshot(body);
          }
          if (closed) {
            return;
          }
          if (window.EventSource && Date.now() - pollingSince > STREAM_RETRY_AFTER) {
            failures = 0;
            openStream();
            return;
          }
          timer = setTimeout(poll, pollDelay);
        },
        function () {
          setStatus("offline");
          pollDelay = Math.min(pollDelay * 2, POLL_LONGEST_INTERVAL);
          timer = setTimeout(poll, pollDelay);
        }
      );
    }

    function stop() {
      clearTimeout(timer);
      clearTimeout(resyncTimer);
      closeStream();
    }

    window.addEventListener("offline", function () {
      if (!closed) {
        setStatus("offline");
      }
    });
    window.addEventListener("online", function () {
      if (!closed && !source) {
        stop();
        pollDelay = POLL_INTERVAL;
        if (status === "offline" && pollingSince) {
          poll();
        } else {
          openStream();
        }
      }
    });

    if (window.EventSource) {
      openStream();
    } else {
      startPolling();
    }

    return {
      close: function () {
        stop();
        closed = true;
      },
      resync: resync,
      status: function () {
        return status;
      },
      seq: function () {
        return last;
      }
    };
  }

  window.DialogueFeed = { connect: connect };
})();
