"""The split deployment: live streams served by gunicorn's gevent worker beside the app.

Two real gunicorn processes on the repository's ``gunicorn.conf.py``, as a deployment runs
them: ``dialogue-web`` (gthread) takes the secretary's save, ``dialogue-streams``
(``DIALOGUE_WORKER_CLASS=gevent``) holds the screens' Server-Sent Events streams; Redis
carries the change from one to the other. Without Redis a change travels only inside the
process that saved it, so the split services need it: the tests are skipped without
``DIALOGUE_TEST_REDIS_URL`` (in CI, a failure). They run on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.config import PROJECT_ROOT
from dialogue.extensions import db
from tests.conftest import free_port, require_service
from tests.test_feed_redis_processes import Browser, EventStream

REDIS_URL = os.environ.get("DIALOGUE_TEST_REDIS_URL", "").strip()
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT = 30
# The streams service drops a stream whose frames cannot go out for this long.
WRITE_TIMEOUT = 2
# Longer than a heartbeat-free delivery could take on a loaded machine, far below a stuck write.
PROMPT = 1.5
SECRET_KEY = "test-secret-of-the-split-services"


@pytest.fixture(scope="module")
def redis_url():
    require_service(
        bool(REDIS_URL),
        "DIALOGUE_TEST_REDIS_URL is not set: the streams service is a process of its own, and "
        "changes reach it from the web service only through Redis",
    )
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        require_service(False, f"Redis at {REDIS_URL} is unreachable: {error}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def app_config(app_config):
    # The services sign the secretary's session cookie with the same key as the tests.
    return {**app_config, "SECRET_KEY": SECRET_KEY}


@pytest.fixture(scope="module")
def services(_schema, database_url, redis_url, tmp_path_factory):
    """Start dialogue-web (gthread) and dialogue-streams (gevent) for the module's tests.

    Each test starts from empty tables (the ``app`` fixture); the services keep nothing
    between tests that could stand in for the database.
    """
    tmp_path = tmp_path_factory.mktemp("services")
    started: list[subprocess.Popen] = []
    common = {
        **os.environ,
        "DIALOGUE_ENV": "testing",
        "DIALOGUE_SECRET_KEY": SECRET_KEY,
        "DIALOGUE_DATABASE_URL": database_url,
        "DIALOGUE_REDIS_URL": redis_url,
        "DIALOGUE_SECURE_COOKIES": "0",
        "DIALOGUE_DEFAULT_LOCALE": "en",
        "DIALOGUE_WORKERS": "1",
        # gunicorn says "Listening at" at this level (wait_until_up reads it).
        "DIALOGUE_LOG_LEVEL": "info",
    }

    def start(name: str, **extra: str) -> None:
        # A port the system hands out: CI's other suite starts the same services at the same
        # time, so no fixed range would be this run's alone.
        port = free_port()
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=PROJECT_ROOT,
                env={**common, "DIALOGUE_BIND": f"127.0.0.1:{port}", **extra},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        launched.append((f"http://127.0.0.1:{port}", process, log_path))

    def wait_until_up(base: str, process: subprocess.Popen, log_path: Path) -> None:
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"{log_path.stem} exited with {process.returncode}:\n{log_path.read_text()}"
                )
            # Its own log says it holds the port: whoever else answered there is not it.
            if f"Listening at: {base} " not in log_path.read_text(errors="replace"):
                time.sleep(0.2)
                continue
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
            finally:
                connection.close()
        pytest.fail(
            f"{log_path.stem} did not answer within {START_TIMEOUT} s:\n{log_path.read_text()}"
        )

    launched: list[tuple[str, subprocess.Popen, Path]] = []
    # Both at once: each imports the whole application.
    start("web", DIALOGUE_THREADS="8")
    start(
        "streams",
        DIALOGUE_WORKER_CLASS="gevent",
        DIALOGUE_STREAM_WRITE_TIMEOUT=str(WRITE_TIMEOUT),
    )
    for item in launched:
        wait_until_up(*item)
    web, streams = launched[0][0], launched[1][0]
    yield web, streams
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def conference(make_conference):
    return make_conference(status=ConferenceStatus.IN_PROGRESS)


@pytest.fixture
def secretary(make_user, conference):
    user = make_user(Role.SECRETARY)
    conference.secretaries.append(user)
    db.session.commit()
    return user


class Console:
    """A secretary's console on the web service, saving turns as the console's outbox does."""

    def __init__(self, web: str, conference, secretary):
        self.url = f"{web}/conferences/{conference.id}/live/turns"
        self.browser = Browser()
        self.browser.sign_in(web, secretary.username)
        page = self.browser.get(f"{web}/conferences/{conference.id}/live/")
        self.csrf = re.search(r'data-csrf="([^"]+)"', page).group(1)

    def save(self, question: str) -> dict:
        saved = self.browser.post_json(
            self.url, {"question": question, "client_key": uuid.uuid4().hex}, self.csrf
        )
        assert saved["ok"] is True
        return saved["turn"]


def public_path(conference) -> str:
    return f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/truc-tiep/stream"


def test_a_turn_saved_through_the_web_service_reaches_every_stream_of_the_gevent_service(
    app, services, conference, secretary
):
    web, streams = services
    console = Console(web, conference, secretary)
    screens = [EventStream(streams, public_path(conference)) for _ in range(5)]
    screens.append(
        EventStream(
            streams,
            f"/conferences/{conference.id}/live/stream",
            console.browser.cookie_header(),
        )
    )
    try:
        for screen in screens:
            assert screen.wait_for("snapshot")["data"]["seq"] == 0

        saved = []
        for number in (1, 2, 3):
            saved.append(console.save(f"Lượt số {number}: bao giờ sửa xong đường ngõ 12?"))
            for index, screen in enumerate(screens):
                frame = screen.wait_for("turn.created")
                assert frame["id"] == str(number), index
                assert frame["data"]["turn"]["id"] == saved[-1]["id"], index

        # A phone that saw event 1 comes back (as EventSource does) and gets only 2 and 3,
        # read from the database by the gevent worker.
        resumed = Resumed(streams, public_path(conference), last_event_id=1)
        screens.append(resumed)
        frames = [resumed.frame() for _ in range(3)]
        assert [frame.get("retry") is not None for frame in frames] == [True, False, False]
        assert [frame.get("id") for frame in frames[1:]] == ["2", "3"]
        assert [frame["data"]["turn"]["id"] for frame in frames[1:]] == [
            turn["id"] for turn in saved[1:]
        ]
    finally:
        for screen in screens:
            screen.close()


class Resumed(EventStream):
    """A stream opened again with the number of the last event the screen had."""

    def __init__(self, base: str, path: str, *, last_event_id: int):
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=10)
        self.connection.request(
            "GET",
            path,
            headers={"Accept": "text/event-stream", "Last-Event-ID": str(last_event_id)},
        )
        self.response = self.connection.getresponse()
        assert self.response.status == 200


def _stuck_reader(base: str, path: str) -> socket.socket:
    """A phone that asks for the stream and then never reads a byte of it."""
    host, port = base.removeprefix("http://").split(":")
    sock = socket.socket()
    # The smallest window the kernel allows: the server's writes stop after a few kilobytes.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    return sock


def test_a_screen_that_never_reads_holds_no_other_screen_back_and_is_let_go(
    app, services, conference, secretary
):
    web, streams = services
    console = Console(web, conference, secretary)
    stuck = _stuck_reader(streams, public_path(conference))
    healthy = [EventStream(streams, public_path(conference)) for _ in range(3)]
    try:
        for screen in healthy:
            screen.wait_for("snapshot")
        # Each turn about 9 KB on the stream: after a few, the stuck screen's socket is full
        # and the server's write to it waits, in its own greenlet.
        long_question = "Đề nghị phường giải thích rõ quy trình cấp phép xây dựng. " * 150
        started = time.monotonic()
        for number in range(1, 16):
            console.save(f"{number}. {long_question}")
            saved_at = time.monotonic()
            for screen in healthy:
                frame = screen.wait_for("turn.created")
                assert frame["id"] == str(number)
            assert time.monotonic() - saved_at < PROMPT, f"turn {number} was held back"
        # Past the write timeout the server gives the stuck screen up; the others carry on.
        time.sleep(max(0.0, started + WRITE_TIMEOUT + 1 - time.monotonic()))
        console.save("Sau khi màn hình treo bị ngắt")
        for screen in healthy:
            assert screen.wait_for("turn.created")["id"] == "16"

        stuck.settimeout(5)
        received = b""
        try:
            while chunk := stuck.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        # It had the start of the stream, then the server closed it: its write had stalled.
        assert received.startswith(b"HTTP/1.1 200")
        assert b"event: snapshot" in received
        assert b"id: 15\n" not in received
    finally:
        stuck.close()
        for screen in healthy:
            screen.close()
