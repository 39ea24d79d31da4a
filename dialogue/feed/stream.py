"""One screen's Server-Sent Events stream, held open for up to half an hour.

The stream holds no database session while it waits: the view reads what the screen needs
first, then releases the session. Only when the screen may have missed something (a gap in
the numbers, a subscriber that fell behind, Redis that came back) does the stream open a short
application context to catch up from the database, which stays the truth.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from flask import Flask

from dialogue.conferences.models import Conference
from dialogue.extensions import db
from dialogue.feed.operations import (
    CLOSED_EVENT,
    PING,
    catch_up_frames,
    event_data,
    is_followed,
    sse_frame,
)
from dialogue.live.bus import EventBus, Subscription, get_bus
from dialogue.live.events import channel_for

# Defaults; the application's configuration may change them (tests make them short).
HEARTBEAT_SECONDS = 15.0
MAX_STREAM_SECONDS = 30 * 60
RETRY_MILLISECONDS = 3000
# Each stream advises a reconnection delay drawn between the retry delay and this many times
# more (3 to 15 s by default): when a proxy restarts, thousands of screens lose their stream at
# the same instant, and come back spread over those seconds instead of all in the same one.
RETRY_SPREAD_FACTOR = 4
# Streams of one process that read the database at the same time (opening, or catching up
# after a gap); the others wait their turn rather than empty the connection pool and fail.
DATABASE_SLOTS = 4
# How long the answer to "bring a screen from event N up to date" is shared by the screens
# of a process asking the same (a hall's phones reconnecting together all ask the same).
RESUME_CACHE_SECONDS = 2.0
RESUME_CACHE_ENTRIES = 512
# A message numbered beyond the next waits this long for the ones before it (seconds).
REORDER_SECONDS = 0.3
STATE_KEY = "dialogue.feed.streams"


def stream_settings(app: Flask) -> tuple[float, float, int]:
    """Heartbeat interval, longest life of a stream, and the reconnection delay to advise."""
    config = app.config
    retry = int(config.get("DIALOGUE_STREAM_RETRY_MS", RETRY_MILLISECONDS))
    spread = int(config.get("DIALOGUE_STREAM_RETRY_SPREAD_MS", retry * RETRY_SPREAD_FACTOR))
    return (
        float(config.get("DIALOGUE_STREAM_HEARTBEAT", HEARTBEAT_SECONDS)),
        float(config.get("DIALOGUE_STREAM_MAX_SECONDS", MAX_STREAM_SECONDS)),
        retry + random.randint(0, max(0, spread)),
    )


class StreamState:
    """What the streams of one process share: database slots and the resume cache.

    Made in the process that serves (after gunicorn's gevent worker has patched threading,
    so its semaphore makes a greenlet wait, not the whole worker).
    """

    def __init__(self, app: Flask):
        self.owner_pid = os.getpid()
        self.slots = threading.BoundedSemaphore(
            int(app.config.get("DIALOGUE_STREAM_DATABASE_SLOTS", DATABASE_SLOTS))
        )
        self.cache_seconds = float(
            app.config.get("DIALOGUE_STREAM_RESUME_CACHE_SECONDS", RESUME_CACHE_SECONDS)
        )
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple, tuple[float, CatchUp]] = OrderedDict()
        # Public stream addresses (ward and conference in the URL) found to be a conference
        # that residents follow: (when, conference id).
        self._addresses: OrderedDict[tuple, tuple[float, int]] = OrderedDict()

    def cached(self, key: tuple, newest_delivered: int) -> CatchUp | None:
        """An answer read less than the cache's seconds ago that covers every delivered event."""
        with self._lock:
            entry = self._answers.get(key)
        if entry is None:
            return None
        read_at, answer = entry
        if time.monotonic() - read_at > self.cache_seconds or answer.upto < newest_delivered:
            return None
        return answer

    def keep(self, key: tuple, answer: CatchUp) -> None:
        if self.cache_seconds <= 0:
            return
        with self._lock:
            self._answers[key] = (time.monotonic(), answer)
            self._answers.move_to_end(key)
            while len(self._answers) > RESUME_CACHE_ENTRIES:
                self._answers.popitem(last=False)

    def keep_public(self, address: dict, conference_id: int, answer: CatchUp) -> None:
        """Note that a public stream address is this conference, followed by residents."""
        if self.cache_seconds <= 0 or not answer.follows:
            return
        key = tuple(sorted(address.items()))
        with self._lock:
            self._addresses[key] = (time.monotonic(), conference_id)
            self._addresses.move_to_end(key)
            while len(self._addresses) > RESUME_CACHE_ENTRIES:
                self._addresses.popitem(last=False)

    def kept_public(self, address: dict) -> int | None:
        """The conference a public stream address was found to be a moment ago, if it was."""
        with self._lock:
            entry = self._addresses.get(tuple(sorted(address.items())))
        if entry is None or time.monotonic() - entry[0] > self.cache_seconds:
            return None
        return entry[1]


_state_lock = threading.Lock()


def stream_state(app: Flask) -> StreamState:
    state = app.extensions.get(STATE_KEY)
    if state is not None and state.owner_pid == os.getpid():
        return state
    with _state_lock:
        state = app.extensions.get(STATE_KEY)
        if state is None or state.owner_pid != os.getpid():
            state = app.extensions[STATE_KEY] = StreamState(app)
    return state


def newest_delivered(bus: EventBus, channel: str) -> int:
    """The number of the last event this process's bus delivered on ``channel`` (0: none)."""
    raw = bus.last_message(channel)
    if raw is None:
        return 0
    try:
        sequence = json.loads(raw).get("seq")
    except (ValueError, AttributeError):
        return 0
    return sequence if isinstance(sequence, int) else 0


class CatchUp(NamedTuple):
    """Frames that bring a screen up to event ``upto``; the conference's state when read."""

    frames: list[str]
    upto: int
    status: str
    follows: bool


def kept_catch_up(
    app: Flask, bus: EventBus, conference_id: int, after: int | None, *, public: bool
) -> CatchUp | None:
    """The answer another screen of this process got a moment ago for the same question.

    The caller has subscribed first. The answer is used only if it includes the last event
    the bus has delivered here: whatever was delivered before the subscription is then in it,
    and whatever comes after reaches the subscriber.
    """
    return stream_state(app).cached(
        (conference_id, public, after), newest_delivered(bus, channel_for(conference_id))
    )


def catch_up(
    app: Flask, bus: EventBus, conference: Conference, after: int | None, *, public: bool
) -> CatchUp:
    """``catch_up_frames`` shared between the screens of this process that ask the same.

    A kept answer read while the conference was in another state is not used: the state
    changes without an event of its own.
    """
    status, follows = conference.status.value, is_followed(conference)
    kept = kept_catch_up(app, bus, conference.id, after, public=public)
    if kept is not None and (kept.status, kept.follows) == (status, follows):
        return kept
    frames, upto = catch_up_frames(conference, after, public=public)
    answer = CatchUp(frames, upto, status, follows)
    stream_state(app).keep((conference.id, public, after), answer)
    return answer


@lru_cache(maxsize=128)
def framed(raw: str, public: bool) -> tuple[int, str, str]:
    """Parse a bus message and write its frame once for every screen of this process.

    The bus hands the same string to all of a process's subscribers; its hash is computed
    once, so the hundreds of streams of a full hall share one parse and one JSON encoding.
    """
    message = json.loads(raw)
    kind, data = event_data(message, public=public)
    return message["seq"], kind, sse_frame(kind, data, seq=message["seq"])


class LiveStream:
    """Iterate to get the stream's bytes; closing it (the server does) ends the subscription.

    ``last`` is the number of the last event the screen has been brought up to; a message
    numbered at or below it was already covered, one beyond the next means something was
    missed and is read from the database.
    """

    def __init__(
        self,
        app: Flask,
        conference_id: int,
        subscription: Subscription,
        *,
        public: bool,
        last: int,
        first_frames: list[str],
        follows: bool,
    ):
        self.app = app
        self.conference_id = conference_id
        self.subscription = subscription
        self.public = public
        self.last = last
        self.first_frames = first_frames
        self.follows = follows
        self.heartbeat, max_seconds, self.retry = stream_settings(app)
        # Spread the reconnections of screens that all connected when the meeting began.
        self.max_seconds = max_seconds * random.uniform(0.9, 1.0)
        self.finished = False
        # Messages numbered beyond the next one, waiting for those before them.
        self.held: dict[int, tuple[str, str]] = {}
        self.held_since = 0.0

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._frames()
        finally:
            self.subscription.close()

    def close(self) -> None:
        # Called by the server when the screen goes away, even before the first frame.
        self.subscription.close()

    def _frames(self) -> Iterator[bytes]:
        first = [f"retry: {self.retry}\n\n", *(self.first_frames or [self._ping()])]
        yield "".join(first).encode()
        if not self.follows:
            return
        started = last_write = time.monotonic()
        while not self.finished:
            now = time.monotonic()
            remaining = started + self.max_seconds - now
            if remaining <= 0:
                # The screen reconnects with Last-Event-ID; the worker's thread is recycled.
                return
            wait = max(0.0, min(self.heartbeat - (now - last_write), remaining))
            if self.held:
                wait = max(0.0, min(wait, self.held_since + REORDER_SECONDS - now))
            raw = self.subscription.get(timeout=wait)
            if self.subscription.ended:
                return
            frames = []
            if self.subscription.overflowed:
                self.subscription.overflowed = False
                frames.extend(self._from_database())
            if raw is not None:
                frames.extend(self._on_message(raw))
            if self.held and time.monotonic() - self.held_since >= REORDER_SECONDS:
                # What was missing did not come: it was lost on the way, read it.
                frames.extend(self._from_database())
            if not frames and time.monotonic() - last_write >= self.heartbeat:
                frames.append(self._ping())
            if frames:
                yield "".join(frames).encode()
                last_write = time.monotonic()

    def _ping(self) -> str:
        return sse_frame(PING, {"seq": self.last}, seq=self.last)

    def _on_message(self, raw: str) -> list[str]:
        sequence, kind, frame = framed(raw, self.public)
        if sequence <= self.last:
            return []
        if sequence > self.last + 1:
            # Two saves commit in one order and may be published in the other (each after its
            # own commit, from two processes): hold it a moment for the one before.
            if not self.held:
                self.held_since = time.monotonic()
            self.held[sequence] = (kind, frame)
            return []
        frames = [self._accept(sequence, kind, frame)]
        frames.extend(self._release_held())
        return frames

    def _accept(self, sequence: int, kind: str, frame: str) -> str:
        self.last = sequence
        if self.public and kind == CLOSED_EVENT:
            # Residents' screens have seen the end; nothing more will come to them.
            self.finished = True
        return frame

    def _release_held(self) -> list[str]:
        """The held messages that now follow on; those already covered are dropped."""
        frames = []
        while self.last + 1 in self.held:
            kind, frame = self.held.pop(self.last + 1)
            frames.append(self._accept(self.last + 1, kind, frame))
        self.held = {sequence: item for sequence, item in self.held.items() if sequence > self.last}
        self.held_since = time.monotonic()
        return frames

    def _from_database(self) -> list[str]:
        bus = get_bus(self.app)
        # A hall's screens miss the same events together: one of them reads, the others of
        # this process take its answer.
        answer = kept_catch_up(self.app, bus, self.conference_id, self.last, public=self.public)
        if answer is None:
            # When Redis comes back every stream of the process was told it may have missed
            # something, all at once: they take turns at the database.
            with stream_state(self.app).slots, self.app.app_context():
                conference = db.session.get(Conference, self.conference_id)
                if conference is None:
                    self.finished = True
                    return []
                answer = catch_up(self.app, bus, conference, self.last, public=self.public)
        self.last = answer.upto
        if self.public and not answer.follows:
            self.finished = True
        return [*answer.frames, *self._release_held()]
