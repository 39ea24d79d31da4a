"""The event bus: in-process fan-out, and Redis publish/subscribe across connections."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
import redis

from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live import bus as bus_module
from dialogue.live import events
from dialogue.live.bus import (
    SUBSCRIBER_BACKLOG,
    InProcessBus,
    RedisBus,
    close_bus,
    create_bus,
    get_bus,
)
from tests.conftest import require_service

REDIS_URL = os.environ.get("DIALOGUE_TEST_REDIS_URL", "").strip()


# -- in one process ---------------------------------------------------------------------------


def test_in_process_bus_fans_out_to_the_subscribers_of_a_channel():
    bus = InProcessBus()
    first, second = bus.subscribe("a"), bus.subscribe("a")
    other = bus.subscribe("b")

    bus.publish("a", "un")

    assert first.get(timeout=1) == "un"
    assert second.get(timeout=1) == "un"
    assert other.get(timeout=0.01) is None


def test_a_closed_subscription_receives_nothing_more():
    bus = InProcessBus()
    subscription = bus.subscribe("a")
    subscription.close()

    bus.publish("a", "un")

    assert bus.subscriber_count("a") == 0
    assert subscription.get(timeout=0.01) is None


def test_a_subscriber_that_falls_behind_is_told_it_missed_messages():
    bus = InProcessBus()
    slow = bus.subscribe("a")

    for n in range(SUBSCRIBER_BACKLOG + 1):
        bus.publish("a", str(n))

    assert slow.overflowed
    received = [slow.get(timeout=0.01) for _ in range(SUBSCRIBER_BACKLOG + 1)]
    assert received[:SUBSCRIBER_BACKLOG] == [str(n) for n in range(SUBSCRIBER_BACKLOG)]
    assert received[-1] is None


def test_closing_the_bus_wakes_and_ends_every_subscriber():
    bus = InProcessBus()
    subscription = bus.subscribe("a")
    woken = []
    reader = threading.Thread(target=lambda: woken.append(subscription.get(timeout=10)))
    reader.start()

    bus.close()
    reader.join(timeout=2)

    assert not reader.is_alive()
    assert woken == [None]
    assert subscription.ended


def test_without_a_redis_address_the_bus_is_in_process(app):
    assert isinstance(get_bus(app), InProcessBus)
    assert get_bus(app) is get_bus(app)


def test_with_a_redis_address_the_bus_is_redis(app):
    app.config["DIALOGUE_REDIS_URL"] = "redis://127.0.0.1:6379/7"
    bus = create_bus(app)
    try:
        assert isinstance(bus, RedisBus)
        assert bus.prefix == "db7:"
    finally:
        bus.close()


def test_changes_are_published_after_commit_and_never_after_rollback(app, make_conference):
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    subscription = get_bus(app).subscribe(events.channel_for(conference.id))

    events.emit(conference, "test.rolled_back", {"n": 1})
    assert subscription.get(timeout=0.01) is None
    db.session.rollback()
    assert subscription.get(timeout=0.01) is None

    events.emit(conference, "test.committed", {"n": 2}, {"n": 2})
    db.session.commit()

    message = json.loads(subscription.get(timeout=1))
    assert message["kind"] == "test.committed"
    assert message["seq"] == 1
    assert message["staff"] == message["public"] == {"n": 2}


# -- through Redis ----------------------------------------------------------------------------


@pytest.fixture
def redis_url():
    require_service(bool(REDIS_URL), "DIALOGUE_TEST_REDIS_URL is not set")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        require_service(False, f"Redis at {REDIS_URL} is unreachable: {error}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_buses(redis_url):
    """Make Redis buses, each with its own connections, as separate processes would have."""
    made = []

    def make(url=redis_url):
        bus = RedisBus(url)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        bus.close()


def _other_database(url: str) -> str:
    base, _, database = url.rpartition("/")
    return f"{base}/{(int(database or 0) + 8) % 16}"


def test_a_message_published_on_one_connection_reaches_subscribers_of_another(redis_buses):
    publisher, listener = redis_buses(), redis_buses()
    wanted = listener.subscribe("dialogue:conference:1")
    unwanted = listener.subscribe("dialogue:conference:2")

    publisher.publish("dialogue:conference:1", "xin chào")

    assert wanted.get(timeout=5) == "xin chào"
    assert unwanted.get(timeout=0.2) is None


def test_buses_on_other_redis_databases_do_not_hear_each_other(redis_url, redis_buses):
    listener = redis_buses()
    stranger = redis_buses(_other_database(redis_url))
    subscription = listener.subscribe("dialogue:conference:1")

    stranger.publish("dialogue:conference:1", "không phải của bạn")
    listener.publish("dialogue:conference:1", "của bạn")

    assert subscription.get(timeout=5) == "của bạn"
    assert subscription.get(timeout=0.2) is None


def _kill_listener_connection(bus: RedisBus) -> int:
    admin = redis.Redis.from_url(bus.url)
    try:
        killed = 0
        for client in admin.client_list():
            if client.get("name") == bus.client_name and int(client.get("psub", 0)) > 0:
                admin.client_kill_filter(_id=client["id"])
                killed += 1
        return killed
    finally:
        admin.close()


def test_after_redis_drops_the_listener_reconnects_and_subscribers_resync(redis_buses, monkeypatch):
    monkeypatch.setattr(bus_module, "RECONNECT_FIRST_WAIT", 0.05)
    publisher, listener = redis_buses(), redis_buses()
    subscription = listener.subscribe("dialogue:conference:1")

    assert _kill_listener_connection(listener) == 1

    # Woken and told that it may have missed messages once the listener is back.
    deadline = time.monotonic() + 10
    while not subscription.overflowed and time.monotonic() < deadline:
        subscription.get(timeout=0.1)
    assert subscription.overflowed
    assert listener.reconnections == 1
    publisher.publish("dialogue:conference:1", "sau khi nối lại")
    assert subscription.get(timeout=5) == "sau khi nối lại"


def test_while_redis_is_unreachable_the_process_keeps_its_own_screens_informed(
    redis_buses, monkeypatch
):
    monkeypatch.setattr(bus_module, "SUBSCRIBE_WAIT", 0.2)
    bus = redis_buses("redis://127.0.0.1:1/0")

    subscription = bus.subscribe("dialogue:conference:1")

    assert subscription.overflowed
    assert not bus.is_connected
    with pytest.raises(redis.ConnectionError):
        bus.publish("dialogue:conference:1", "không đi được")
    # This process's own screens still hear it.
    assert subscription.get(timeout=1) == "không đi được"
    started = time.monotonic()
    with pytest.raises(redis.ConnectionError):
        bus.publish("dialogue:conference:1", "lần nữa")
    assert time.monotonic() - started < 0.1, "a save must not wait for Redis again at once"
    assert subscription.get(timeout=1) == "lần nữa"


def test_closing_the_redis_bus_stops_its_listener_thread(redis_buses):
    bus = redis_buses()
    subscription = bus.subscribe("dialogue:conference:1")
    thread = bus._thread

    bus.close()

    assert not thread.is_alive()
    assert subscription.ended
    with pytest.raises(RuntimeError):
        bus.subscribe("dialogue:conference:1")


def test_the_application_uses_redis_when_configured(app, redis_url, make_conference):
    app.config["DIALOGUE_REDIS_URL"] = redis_url
    close_bus(app)
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    elsewhere = RedisBus(redis_url)
    try:
        subscription = elsewhere.subscribe(events.channel_for(conference.id))
        events.emit(conference, "test.committed", {"n": 1}, None)
        db.session.commit()

        message = json.loads(subscription.get(timeout=5))
        assert isinstance(get_bus(app), RedisBus)
        assert message["kind"] == "test.committed" and message["public"] is None
    finally:
        elsewhere.close()
        close_bus(app)
