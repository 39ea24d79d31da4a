"""Two real application processes, one database, one Redis: a turn saved through one process
reaches the live screens connected to the other.

Each process is gunicorn with the repository's ``gunicorn.conf.py``, started on a free
loopback port; the turn is saved through the console's JSON API, as a secretary's browser
saves it, and read from Server-Sent Events streams, as screens read them.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.config import PROJECT_ROOT
from dialogue.extensions import db
from tests.conftest import PASSWORD, require_service

REDIS_URL = os.environ.get("DIALOGUE_TEST_REDIS_URL", "").strip()
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT = 30
DELIVERY_TIMEOUT = 10


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(app, database_url, redis_url, tmp_path):
    """Start application processes on the test database and Redis; stop them afterwards."""
    started: list[tuple[subprocess.Popen, Path]] = []

    def start() -> str:
        port = _free_port()
        log_path = tmp_path / f"gunicorn-{port}.log"
        env = {
            **os.environ,
            "DIALOGUE_ENV": "testing",
            "DIALOGUE_SECRET_KEY": app.config["SECRET_KEY"],
            "DIALOGUE_DATABASE_URL": database_url,
            "DIALOGUE_REDIS_URL": redis_url,
            "DIALOGUE_SECURE_COOKIES": "0",
            "DIALOGUE_DEFAULT_LOCALE": "en",
            "DIALOGUE_BIND": f"127.0.0.1:{port}",
            "DIALOGUE_WORKERS": "1",
            "DIALOGUE_THREADS": "8",
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [str(GUNICORN), "--config", "gunicorn.conf.py", "--no-control-socket", "wsgi:app"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append((process, log_path))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return base
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within {START_TIMEOUT} s:\n{log_path.read_text()}")

    yield start
    for process, _log in started:
        process.terminate()
    for process, _log in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Browser:
    """Just enough of a browser: cookies, the sign-in form, the CSRF token, JSON posts."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=10) as response:
            return response.read().decode()

    def sign_in(self, base: str, username: str) -> None:
        page = self.get(f"{base}/auth/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"csrf_token": token, "username": username, "password": PASSWORD}
        ).encode()
        with self.opener.open(f"{base}/auth/login", data=form, timeout=10) as response:
            assert "/auth/login" not in response.url, "signing in failed"

    def post_json(self, url: str, body: dict, csrf: str) -> dict:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": csrf,
                "Referer": url,
            },
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{url}: {error.code} {error.read().decode()}") from error

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


class EventStream:
    """A Server-Sent Events connection read frame by frame."""

    def __init__(self, base: str, path: str, cookie: str = ""):
        parsed = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(
            parsed.hostname, parsed.port, timeout=DELIVERY_TIMEOUT
        )
        headers = {"Accept": "text/event-stream"}
        if cookie:
            headers["Cookie"] = cookie
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read()
        assert self.response.getheader("Content-Type").startswith("text/event-stream")

    def frame(self) -> dict:
        frame = {}
        while True:
            line = self.response.fp.readline().decode().rstrip("\n")
            if not line:
                if frame:
                    return frame
                continue
            name, _, value = line.partition(": ")
            frame[name] = json.loads(value) if name == "data" else value

    def wait_for(self, kind: str) -> dict:
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while time.monotonic() < deadline:
            frame = self.frame()
            if frame.get("event") == kind:
                return frame
        raise AssertionError(f"no {kind} within {DELIVERY_TIMEOUT} s")

    def close(self):
        self.connection.close()


@pytest.fixture
def conference(make_conference, ward):
    return make_conference(status=ConferenceStatus.IN_PROGRESS)


@pytest.fixture
def secretary(make_user, conference):
    user = make_user(Role.SECRETARY)
    conference.secretaries.append(user)
    db.session.commit()
    return user


def test_a_turn_saved_through_one_process_reaches_screens_on_another(serve, conference, secretary):
    first, second = serve(), serve()
    secretary_browser = Browser()
    secretary_browser.sign_in(first, secretary.username)
    console = secretary_browser.get(f"{first}/conferences/{conference.id}/live/")
    csrf = re.search(r'data-csrf="([^"]+)"', console).group(1)

    public_path = f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/truc-tiep/stream"
    staff_path = f"/conferences/{conference.id}/live/stream"
    screens = {
        "phone on the second process": EventStream(second, public_path),
        "console on the second process": EventStream(
            second, staff_path, secretary_browser.cookie_header()
        ),
        "projector on the first process": EventStream(first, public_path),
    }
    try:
        for screen in screens.values():
            assert screen.wait_for("snapshot")["data"]["seq"] == 0

        saved = secretary_browser.post_json(
            f"{first}/conferences/{conference.id}/live/turns",
            {"question": "Bao giờ sửa xong đường ngõ 12?", "client_key": uuid.uuid4().hex},
            csrf,
        )

        assert saved["ok"] is True
        for name, screen in screens.items():
            frame = screen.wait_for("turn.created")
            assert frame["id"] == "1", name
            assert frame["data"]["turn"]["id"] == saved["turn"]["id"], name
            assert frame["data"]["turn"]["question"] == "Bao giờ sửa xong đường ngõ 12?", name
    finally:
        for screen in screens.values():
            screen.close()
