"""The event bus that carries live changes to every open screen.

One interface, two backends: :class:`InProcessBus` when one server process serves everyone
(the default), and :class:`RedisBus`, publish/subscribe through Redis, when
``DIALOGUE_REDIS_URL`` is set, so that a change saved through one process reaches screens held
open by another. Messages are strings; a subscriber that falls behind loses messages rather
than holding the publisher up, and is told so (``overflowed``): the database is the truth, and
a screen that missed something takes a snapshot from it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from collections import OrderedDict, defaultdict
from typing import Protocol

import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

EXTENSION_KEY = "dialogue.bus"
# A screen that has this many unread messages is too slow: it drops the rest and resyncs.
SUBSCRIBER_BACKLOG = 256

# Redis: how long a publisher waits for the server before the save's answer goes out without
# the publication (screens then notice the gap and read the database).
REDIS_SOCKET_TIMEOUT = 2.0
# After a failed publication, how long publishing skips Redis.
PUBLISH_PAUSE = 2.0
# How long the listener blocks for a message before it looks whether it should stop.
LISTEN_POLL_SECONDS = 0.5
# Reconnecting after Redis went away: first wait, doubling up to the longest wait.
RECONNECT_FIRST_WAIT = 0.2
RECONNECT_LONGEST_WAIT = 10.0
# The first subscriber of a process waits at most this long for the listener to be connected,
# so that nothing published right after it subscribed is lost to it.
SUBSCRIBE_WAIT = 3.0
# Channels whose last message a process remembers (one per conference followed recently).
LAST_MESSAGES_KEPT = 4096

_WAKE = object()


class Subscription(Protocol):
    overflowed: bool
    ended: bool

    def get(self, timeout: float) -> str | None:
        """Wait up to ``timeout`` seconds for the next message; None when none came."""

    def close(self) -> None:
        """Stop receiving."""


class EventBus(Protocol):
    def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> Subscription: ...

    def last_message(self, channel: str) -> str | None:
        """The last message this process delivered on ``channel`` (None: none remembered)."""

    def close(self) -> None: ...


class QueueSubscription:
    """A subscriber's own bounded queue.

    ``overflowed`` tells it that it missed messages (it fell behind, or the bus lost its
    connection for a while); whoever reads it takes a snapshot and clears the flag. ``ended``
    tells it that the bus closed: nothing more will come.
    """

    def __init__(self, release):
        self._queue: queue.Queue = queue.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._release = release
        self.overflowed = False
        self.ended = False

    def deliver(self, message: str) -> None:
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            self.overflowed = True

    def interrupt(self, *, missed: bool = False, ended: bool = False) -> None:
        """Wake the reader now: it may have missed messages, or the bus is closing."""
        self.overflowed = self.overflowed or missed
        self.ended = self.ended or ended
        try:
            self._queue.put_nowait(_WAKE)
        except queue.Full:
            self.overflowed = True

    def get(self, timeout: float) -> str | None:
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return None if item is _WAKE else item

    def close(self) -> None:
        self._release(self)


class _LocalFanOut:
    """The subscribers of one process, by channel."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[QueueSubscription]] = defaultdict(set)
        # The last message handed out on each channel, newest channels kept: a screen that
        # opens reads it to know whether an answer read from the database a moment ago still
        # covers everything this process has delivered (feed/stream.py, the resume cache).
        self._last: OrderedDict[str, str] = OrderedDict()

    def add(self, channel: str) -> QueueSubscription:
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

    def deliver(self, channel: str, message: str) -> None:
        # Noted under the lock that adds subscribers: a subscriber added after this sees the
        # message as the channel's last, one added before receives it.
        with self._lock:
            self._last[channel] = message
            self._last.move_to_end(channel)
            if len(self._last) > LAST_MESSAGES_KEPT:
                self._last.popitem(last=False)
            subscribers = list(self._subscribers.get(channel, ()))
        for subscription in subscribers:
            subscription.deliver(message)

    def last_message(self, channel: str) -> str | None:
        with self._lock:
            return self._last.get(channel)

    def interrupt_all(self, **flags) -> None:
        with self._lock:
            subscribers = [s for members in self._subscribers.values() for s in members]
        for subscription in subscribers:
            subscription.interrupt(**flags)

    def count(self, channel: str) -> int:
        with self._lock:
            return len(self._subscribers.get(channel, ()))

    def end_all(self) -> None:
        self.interrupt_all(ended=True)
        with self._lock:
            self._subscribers.clear()


class InProcessBus:
    """Fan-out between the threads of one process."""

    def __init__(self):
        self._local = _LocalFanOut()

    def publish(self, channel: str, message: str) -> None:
        self._local.deliver(channel, message)

    def subscribe(self, channel: str) -> QueueSubscription:
        return self._local.add(channel)

    def subscriber_count(self, channel: str) -> int:
        return self._local.count(channel)

    def last_message(self, channel: str) -> str | None:
        return self._local.last_message(channel)

    def close(self) -> None:
        self._local.end_all()


class RedisBus:
    """Publish through Redis; one listener thread per process fans messages out locally.

    The listener subscribes once to every channel of this bus (a pattern), so subscribing a
    screen costs nothing on the Redis side. Channels are prefixed with the Redis database
    number: publish/subscribe ignores databases, and two deployments (or two test runs) sharing
    one server on different databases must not hear each other. After Redis went away and
    came back, every local subscriber is told it may have missed messages.
    """

    def __init__(self, url: str):
        self.url = url
        # Named, so an operator (or a test) can find the bus's connections in CLIENT LIST.
        self.client_name = f"dialogue-bus-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        common = {
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_keepalive": True,
            "client_name": self.client_name,
        }
        self._publisher = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 1), **common)
        # The listener handles every failure itself (a silent reconnection inside redis-py
        # would hide that messages were lost in between).
        self._listener_client = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **common)
        database = self._publisher.connection_pool.connection_kwargs.get("db", 0)
        self.prefix = f"db{database}:"
        self._local = _LocalFanOut()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self.owner_pid = os.getpid()
        self.reconnections = 0
        self._paused_until = 0.0

    # publishing --------------------------------------------------------------------------

    def publish(self, channel: str, message: str) -> None:
        """Publish through Redis; while Redis is unreachable, this process's screens still hear.

        Screens of other processes catch up from the database once Redis is back (their
        listeners reconnect and resync them). After a failure, publishing waits a moment
        before trying Redis again, so that saves do not each wait for a timeout.
        """
        if time.monotonic() >= self._paused_until:
            try:
                self._publisher.publish(self.prefix + channel, message)
                return
            except (redis.ConnectionError, redis.TimeoutError):
                self._paused_until = time.monotonic() + PUBLISH_PAUSE
                self._local.deliver(channel, message)
                raise
        self._local.deliver(channel, message)
        raise redis.ConnectionError("Redis was unreachable a moment ago; not trying again yet")

    # subscribing -------------------------------------------------------------------------

    def subscribe(self, channel: str) -> QueueSubscription:
        subscription = self._local.add(channel)
        self._ensure_listener()
        if not self._connected.wait(SUBSCRIBE_WAIT):
            # Redis is down: the subscriber will get a snapshot once it is back.
            subscription.overflowed = True
        return subscription

    def subscriber_count(self, channel: str) -> int:
        return self._local.count(channel)

    def last_message(self, channel: str) -> str | None:
        return self._local.last_message(channel)

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def _ensure_listener(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                raise RuntimeError("the event bus is closed")
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._listen, name=f"dialogue-bus-listener-{self.prefix}", daemon=True
            )
            self._thread.start()

    def _listen(self) -> None:
        wait = RECONNECT_FIRST_WAIT
        has_been_connected = False
        while not self._stopping.is_set():
            pubsub = self._listener_client.pubsub()
            try:
                pubsub.psubscribe(self.prefix + "*")
                self._await_confirmation(pubsub)
                self._connected.set()
                if has_been_connected:
                    self.reconnections += 1
                    log.warning("event bus: reconnected to Redis; screens will resync")
                    # Whatever was published while we were away is lost to our screens.
                    self._local.interrupt_all(missed=True)
                has_been_connected = True
                wait = RECONNECT_FIRST_WAIT
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
                    if message is not None and message["type"] == "pmessage":
                        self._dispatch(message["channel"], message["data"])
            except (redis.RedisError, OSError) as error:
                self._connected.clear()
                if self._stopping.is_set():
                    break
                log.warning("event bus: lost Redis (%s); retrying in %.1f s", error, wait)
                self._stopping.wait(wait)
                wait = min(wait * 2, RECONNECT_LONGEST_WAIT)
            finally:
                with contextlib.suppress(redis.RedisError, OSError):
                    pubsub.close()
        self._connected.clear()

    def _await_confirmation(self, pubsub) -> None:
        """Wait until Redis has the subscription: only then is nothing published missed."""
        deadline = time.monotonic() + REDIS_SOCKET_TIMEOUT
        while not self._stopping.is_set():
            reply = pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
            if reply is not None and reply["type"] == "psubscribe":
                return
            if time.monotonic() > deadline:
                raise redis.TimeoutError("Redis did not confirm the subscription")

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        name = channel.decode()
        if name.startswith(self.prefix):
            self._local.deliver(name[len(self.prefix) :], data.decode())

    # closing -----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the listener, end every subscription and drop the connections."""
        self._stopping.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=LISTEN_POLL_SECONDS + REDIS_SOCKET_TIMEOUT + 1)
        self._local.end_all()
        self._publisher.close()
        self._listener_client.close()


def create_bus(app: Flask) -> EventBus:
    """A Redis bus when ``DIALOGUE_REDIS_URL`` is set, else the in-process one."""
    url = app.config.get("DIALOGUE_REDIS_URL")
    if url:
        return RedisBus(url)
    return InProcessBus()


_creating = threading.Lock()


def get_bus(app: Flask) -> EventBus:
    """Return the application's bus, creating it on first use.

    A bus made before a fork (an application preloaded by gunicorn) is not used by the
    child: its listener thread did not survive the fork.
    """
    # ``current_app`` is a proxy; the finaliser needs the application itself.
    app = app._get_current_object() if hasattr(app, "_get_current_object") else app
    bus = app.extensions.get(EXTENSION_KEY)
    if bus is not None and getattr(bus, "owner_pid", os.getpid()) == os.getpid():
        return bus
    with _creating:
        bus = app.extensions.get(EXTENSION_KEY)
        if bus is None or getattr(bus, "owner_pid", os.getpid()) != os.getpid():
            bus = create_bus(app)
            app.extensions[EXTENSION_KEY] = bus
            # Its thread and connections go with the application (tests make many) or at exit.
            weakref.finalize(app, bus.close)
    return bus


def close_bus(app: Flask) -> None:
    """Close the application's bus, if it has one; a later :func:`get_bus` makes a new one."""
    bus = app.extensions.pop(EXTENSION_KEY, None)
    if bus is not None:
        bus.close()
