"""One screen's Server-Sent Events stream, held open for up to half an hour.

The stream holds no database session while it waits: the view reads what the screen needs
first, then releases the session. Only when the screen may have missed something (a gap in
the numbers, a subscriber that fell behind, Redis that came back) does the stream open a short
application context to catch up from the database, which stays the truth.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from functools import lru_cache

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
from dialogue.live.bus import Subscription

# Defaults; the application's configuration may change them (tests make them short).
HEARTBEAT_SECONDS = 15.0
MAX_STREAM_SECONDS = 30 * 60
RETRY_MILLISECONDS = 3000


def stream_settings(app: Flask) -> tuple[float, float, int]:
    """Heartbeat interval, longest life of a stream, and the reconnection delay to advise."""
    config = app.config
    return (
        float(config.get("DIALOGUE_STREAM_HEARTBEAT", HEARTBEAT_SECONDS)),
        float(config.get("DIALOGUE_STREAM_MAX_SECONDS", MAX_STREAM_SECONDS)),
        int(config.get("DIALOGUE_STREAM_RETRY_MS", RETRY_MILLISECONDS)),
    )


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
            raw = self.subscription.get(timeout=wait)
            if self.subscription.ended:
                return
            frames = []
            if self.subscription.overflowed:
                self.subscription.overflowed = False
                frames.extend(self._from_database())
            if raw is not None:
                frames.extend(self._on_message(raw))
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
            return self._from_database()
        self.last = sequence
        if self.public and kind == CLOSED_EVENT:
            # Residents' screens have seen the end; nothing more will come to them.
            self.finished = True
        return [frame]

    def _from_database(self) -> list[str]:
        with self.app.app_context():
            conference = db.session.get(Conference, self.conference_id)
            if conference is None:
                self.finished = True
                return []
            frames, self.last = catch_up_frames(conference, self.last, public=self.public)
            if self.public and not is_followed(conference):
                self.finished = True
        return frames
