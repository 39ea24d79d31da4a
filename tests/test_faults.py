"""Faults under a stream of saves: no acknowledged turn lost or saved twice, no screen left behind.

The real processes of a deployment, each the test's own: a PostgreSQL cluster and a Redis server
(``tests/services.py``), the schema made by ``flask db upgrade``, gunicorn with two workers and
the production settings (``gunicorn.conf.py``). A secretary saves turn after turn through the
console's JSON API exactly as the console's outbox does (``static/js/console/outbox.js``): each
turn with the key made when its draft began, sent again with the same key until the server
answers it, one at a time. Two screens follow the conference, a resident's phone on the public
stream and a secretary's console on the staff stream, and resume with ``Last-Event-ID`` after
every drop, as ``EventSource`` does; they also drop now and then on their own, like a phone
leaving the hall's Wi-Fi. Meanwhile: a worker serving a screen is killed with SIGKILL (gunicorn
starts another), PostgreSQL is restarted (``pg_ctl restart -m fast``), Redis is stopped and
started again.

At the end every acknowledged turn is in the database exactly once, each screen received the
event of every saved turn, numbered without a gap or a repeat, and the figures are printed.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.harness import ROOT, Session, app_environment, gunicorn
from bench.live_session import PASSWORD
from tests.conftest import require_service
from tests.services import PostgresCluster, RedisServer, free_port, postgres_missing, redis_missing

pytestmark = pytest.mark.faults

GUNICORN_PORTS = (5150, 5159)
WORKERS = 2
# Between one acknowledged turn and the next: a brisk secretary, about ten turns a second.
SAVE_PAUSE = 0.1
# The console's outbox: first retry after 1.5 s, doubling up to 10 s.
RETRY_FIRST = 1.5
RETRY_LONGEST = 10.0
# Every this many turns, the first answer is lost on the way back (the browser gave up waiting,
# the phone's Wi-Fi dropped): the server has saved the turn, the outbox sends it again.
LOSE_ANSWER_EVERY = 10
# A screen drops its connection on its own this often (staggered), to resume by Last-Event-ID.
DROP_EVERY = (2.5, 3.5)
RETRY_AT_MOST = 1.0
# Like livefeed.js's watchdog: a stream silent this long is taken for dead (heartbeat: 15 s).
SILENCE_LIMIT = 20.0
# How long to look for the moment a worker holds a stream and takes a save, to kill it then.
VICTIM_SEARCH_SECONDS = 15.0
# Turns saved before the first fault, and after each fault before the next.
SAVES_BETWEEN_FAULTS = 15
SETTLE_SECONDS = 5.0
REDIS_DOWN_SECONDS = 3.0
# Beyond this after a fault, saving or a screen has not recovered: the test fails.
RECOVERY_LIMIT = 60.0
# Starting the application on a machine shared with others' test runs.
START_TIMEOUT = 120
SEED = (
    "import json, sys; from bench.live_session import seed; "
    "print(json.dumps(seed(sys.argv[1], sys.argv[2], 1)))"
)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _gunicorn_missing() -> str | None:
    return None if importlib.util.find_spec("gunicorn") else "gunicorn is not installed"


# -- the secretary ------------------------------------------------------------------------------


@dataclass
class Attempt:
    key: str
    sent: float
    done: float
    outcome: str  # "acknowledged", or what went wrong: "connection", "HTTP 500", "refused"…
    detail: str = ""


@dataclass
class Secretary:
    """Saves turns one after another, each until the server acknowledges it, as the outbox."""

    port: int
    console: str
    session: Session
    csrf: str
    attempts: list[Attempt] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    # client key → (turn id, when acknowledged); repeats recognised by the server (created: false)
    acknowledged: dict[str, tuple[int, float]] = field(default_factory=dict)
    repeats_recognised: int = 0
    answers_lost: int = 0
    refused: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    # The test has failed: the turn being retried is left unsent.
    abandoning: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None
    in_flight: bool = False

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self._save_one_turn()
                time.sleep(SAVE_PAUSE)
        except BaseException as error:  # noqa: BLE001 — handed to the test's thread
            self.failure = error

    def _save_one_turn(self) -> None:
        key = str(uuid.uuid4())
        number = len(self.keys) + 1
        self.keys.append(key)
        data = {
            "speaker_name": "Nguyễn Thị Thử",
            "question": f"Câu hỏi số {number}: bao giờ phường cấp lại sổ hộ khẩu điện tử?",
            "outcome": "pending",
        }
        saved_at = _now_iso()
        delay = RETRY_FIRST
        deadline = time.monotonic() + RECOVERY_LIMIT * 2
        if number % LOSE_ANSWER_EVERY == 0:
            self._send_and_hang_up(key, {**data, "saved_at": saved_at})
            time.sleep(delay)
        while True:
            if self._send(key, {**data, "saved_at": saved_at}):
                return
            if time.monotonic() > deadline:
                # Given up only so that the test ends: it fails for this turn.
                return
            if self.abandoning.wait(delay):
                return
            delay = min(delay * 2, RETRY_LONGEST)

    def _request(self, key: str, data: dict) -> tuple[bytes, dict]:
        body = json.dumps({"client_key": key, **data, "sent_at": _now_iso()}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-CSRFToken": self.csrf,
        }
        return body, headers

    def _send_and_hang_up(self, key: str, data: dict) -> None:
        """Send the save and go away without its answer."""
        body, headers = self._request(key, data)
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.session.cookies.items())
        sent = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("POST", self.console + "/turns", body=body, headers=headers)
        except (OSError, http.client.HTTPException) as error:
            self._note(key, sent, "connection", type(error).__name__)
            return
        finally:
            connection.close()
        self.answers_lost += 1
        self._note(key, sent, "answer lost")

    def _send(self, key: str, data: dict) -> bool:
        """One request; True once the turn is acknowledged, or refused for good."""
        body, headers = self._request(key, data)
        sent = time.monotonic()
        self.in_flight = True
        try:
            status, raw, _ = self.session.request_raw(
                "POST", self.console + "/turns", body, headers
            )
        except (OSError, http.client.HTTPException) as error:
            # A worker killed mid-request, a connection refused or reset: sent again.
            self.session.connection.close()
            self._note(key, sent, "connection", type(error).__name__)
            return False
        finally:
            self.in_flight = False
        try:
            answer = json.loads(raw)
        except ValueError:
            # Not JSON: an error page while a service is down. The outbox sends it again.
            self._note(key, sent, f"HTTP {status}", raw[:200].decode(errors="replace"))
            return False
        if answer.get("expired"):
            self._note(key, sent, "signed out", answer.get("message", ""))
            return False
        if status == 200 and answer.get("ok"):
            self.acknowledged[key] = (answer["turn"]["id"], time.monotonic())
            if answer.get("created") is False:
                self.repeats_recognised += 1
            self._note(key, sent, "acknowledged")
            return True
        # Refused as it is: the outbox sets it aside and the rest flow. Never right here.
        self.refused.append(f"{status} {answer}")
        self._note(key, sent, "refused", str(answer)[:200])
        return True

    def _note(self, key: str, sent: float, outcome: str, detail: str = "") -> None:
        self.attempts.append(Attempt(key, sent, time.monotonic(), outcome, detail))

    def sending_from(self) -> int | None:
        """The local port of the connection a save is being sent on, if one is."""
        sock = self.session.connection.sock
        if not self.in_flight or sock is None:
            return None
        try:
            return sock.getsockname()[1]
        except OSError:
            return None

    def acknowledged_since(self, moment: float) -> int:
        return sum(1 for a in self.attempts if a.outcome == "acknowledged" and a.sent >= moment)

    def turn_ids_until(self, moment: float) -> set[int]:
        return {turn_id for turn_id, at in self.acknowledged.values() if at <= moment}


# -- a screen -----------------------------------------------------------------------------------


@dataclass
class Screen:
    """Follows one live stream, resuming with Last-Event-ID after every drop, as EventSource."""

    name: str
    port: int
    path: str
    drop_every: float
    cookie: str = ""
    last: int | None = None
    retry: float = 3.0
    # turn id → when its turn.created event arrived
    seen: dict[int, float] = field(default_factory=dict)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    repeats: list[int] = field(default_factory=list)
    snapshots: int = 0
    connections: int = 0
    resumed: int = 0
    dropped_by_server: int = 0
    dropped_by_us: int = 0
    failed: list[str] = field(default_factory=list)
    # (when, what): connected, left, cut, failed
    timeline: list[tuple[float, str]] = field(default_factory=list)
    local_port: int | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None
    _connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self._follow_once()
                if not self.stopping.is_set():
                    # The server draws a retry of 3–15 s to spread a hall's phones over time;
                    # a screen here comes back within a second, so that the screens are
                    # connected when each fault comes (a fault nobody watched tests nothing).
                    self.stopping.wait(min(self.retry, RETRY_AT_MOST))
        except BaseException as error:  # noqa: BLE001 — handed to the test's thread
            self.failure = error

    def stop(self) -> None:
        self.stopping.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    def _follow_once(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=SILENCE_LIMIT)
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if self.last is not None:
            headers["Last-Event-ID"] = str(self.last)
        try:
            connection.request("GET", self.path, headers=headers)
            response = connection.getresponse()
            if response.status != 200:
                self.failed.append(f"HTTP {response.status}")
                self.timeline.append((time.monotonic(), f"HTTP {response.status}"))
                response.read()
                return
            self.connections += 1
            self.timeline.append((time.monotonic(), f"connected after {self.last}"))
            self.resumed += self.last is not None
            self._connection = connection
            self.local_port = connection.sock.getsockname()[1]
            self._read(response)
        except (OSError, http.client.HTTPException) as error:
            if not self.stopping.is_set():
                self.failed.append(type(error).__name__)
                self.timeline.append((time.monotonic(), type(error).__name__))
        finally:
            self._connection = None
            self.local_port = None
            connection.close()

    def _read(self, response: http.client.HTTPResponse) -> None:
        leave_at = time.monotonic() + self.drop_every
        fields: dict[str, str] = {}
        while not self.stopping.is_set():
            line = response.readline()
            if not line:
                self.dropped_by_server += not self.stopping.is_set()
                self.timeline.append((time.monotonic(), f"cut at {self.last}"))
                return
            line = line.decode().rstrip("\r\n")
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if fields:
                self._receive(fields)
                fields = {}
            if time.monotonic() >= leave_at:
                self.dropped_by_us += 1
                self.timeline.append((time.monotonic(), f"left at {self.last}"))
                return

    def _receive(self, fields: dict[str, str]) -> None:
        if "retry" in fields:
            self.retry = int(fields["retry"]) / 1000
        if "id" not in fields:
            return
        sequence = int(fields["id"])
        kind = fields.get("event", "message")
        data = json.loads(fields["data"]) if "data" in fields else {}
        if kind == "snapshot":
            # Only the very first connection should need one; resuming replays the events.
            self.snapshots += 1
            self.last = sequence
            return
        if self.last is not None and sequence <= self.last:
            if not (kind == "ping" and sequence == self.last):
                self.repeats.append(sequence)
            return
        if self.last is not None and sequence > self.last + 1:
            self.gaps.append((self.last, sequence))
        self.last = sequence
        if kind == "turn.created":
            self.seen.setdefault(data["turn"]["id"], time.monotonic())

    def has_seen(self, turn_ids: set[int]) -> bool:
        return turn_ids <= self.seen.keys()


# -- the processes ------------------------------------------------------------------------------


@pytest.fixture
def services():
    """The test's own PostgreSQL cluster and Redis server, removed afterwards."""
    for missing in (postgres_missing(), redis_missing(), _gunicorn_missing()):
        require_service(missing is None, f"the fault test cannot run: {missing}")
    postgres, redis_server = PostgresCluster(), RedisServer()
    try:
        postgres.start()
        redis_server.start()
        yield postgres, redis_server
    finally:
        redis_server.remove()
        postgres.remove()


def _environment(postgres: PostgresCluster, redis_server: RedisServer) -> dict[str, str]:
    return app_environment(
        postgres.url,
        DIALOGUE_REDIS_URL=redis_server.url,
        DIALOGUE_LOGIN_RATE_LIMIT="1000 per minute",
    )


def _prepare_database(postgres: PostgresCluster, redis_server: RedisServer) -> dict:
    """Migrate with ``flask db upgrade``; a ward, its secretary and a conference in progress."""
    environment = {**os.environ, **_environment(postgres, redis_server)}
    for step, command in (
        ("flask db upgrade", [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]),
        ("seeding", [sys.executable, "-c", SEED, postgres.url, redis_server.url]),
    ):
        finished = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=180
        )
        assert finished.returncode == 0, f"{step} failed:\n{finished.stdout}{finished.stderr}"
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _workers(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def _worker_serving(client_port: int, server_port: int, workers: list[int]) -> int | None:
    """The worker holding the connection from ``client_port`` (Linux: /proc/net/tcp)."""
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            columns = line.split()
            local, remote, inode = columns[1], columns[2], columns[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                sockets.add(f"socket:[{inode}]")
    for pid in workers:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{descriptor}") in sockets:
                    return pid
            except OSError:
                continue
    return None


def _choose_victim(
    port, master, secretary: Secretary, screens: list[Screen], figures
) -> tuple[int, bool]:
    """A worker holding a screen's stream, caught if it can be while it takes a save.

    Returns the worker and whether a save was being sent to it.
    """
    deadline = time.monotonic() + VICTIM_SEARCH_SECONDS
    looked = 0.0
    holding: set[int] = set()
    while True:
        if time.monotonic() - looked > 0.2:
            workers = _workers(master)
            holding = {
                _worker_serving(screen.local_port, port, workers)
                for screen in screens
                if screen.local_port
            } - {None}
            looked = time.monotonic()
        saving = secretary.sending_from()
        if saving and holding:
            taking = _worker_serving(saving, port, workers)
            if taking in holding and secretary.in_flight:
                return taking, True
        if holding and time.monotonic() > deadline:
            return next(iter(holding)), False
        if time.monotonic() > deadline + RECOVERY_LIMIT:
            pytest.fail(f"no worker holds a screen's stream\n{figures()}")
        time.sleep(0.002)


def _wait_for(what: str, condition, *, limit: float = RECOVERY_LIMIT, figures=None) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {limit:.0f} s\n{figures() if figures else ''}")
        time.sleep(0.1)


# -- the test -----------------------------------------------------------------------------------


def test_acknowledged_turns_survive_a_killed_worker_and_restarted_databases(services):
    postgres, redis_server = services
    info = _prepare_database(postgres, redis_server)
    conference_id, username = info["conference_id"], info["usernames"][0]
    console = f"/conferences/{conference_id}/live"
    port = free_port(*GUNICORN_PORTS)

    with gunicorn(
        _environment(postgres, redis_server),
        workers=WORKERS,
        threads=8,
        app="wsgi:app",
        config=str(ROOT / "gunicorn.conf.py"),
        port=port,
        start_timeout=START_TIMEOUT,
    ) as (port, master):
        started = time.monotonic()
        sessions = []
        for _ in range(2):
            session = Session(port)
            session.login(username, PASSWORD)
            sessions.append(session)
        csrf = re.search(
            r'data-csrf="([^"]+)"', sessions[0].request("GET", console + "/")[1].decode()
        )
        secretary = Secretary(port, console, sessions[0], csrf.group(1))
        cookie = "; ".join(f"{name}={value}" for name, value in sessions[1].cookies.items())
        screens = [
            Screen(
                "resident's phone",
                port,
                f"/p/{info['slug']}/hoi-nghi/{conference_id}/truc-tiep/stream",
                drop_every=DROP_EVERY[0],
            ),
            Screen(
                "secretary's console",
                port,
                f"{console}/stream",
                drop_every=DROP_EVERY[1],
                cookie=cookie,
            ),
        ]
        threads = [threading.Thread(target=s.run, daemon=True) for s in (*screens, secretary)]
        for thread in threads[:-1]:
            thread.start()
        faults: list[dict] = []

        def figures() -> str:
            return _figures(secretary, screens, faults, started)

        def settle(fault: dict) -> None:
            """Saving resumed after ``fault``, and every screen has every turn saved before it."""
            at = fault["at"]
            _wait_for(
                f"saves after {fault['name']}",
                lambda: (
                    secretary.acknowledged_since(at) >= SAVES_BETWEEN_FAULTS
                    and time.monotonic() - at >= SETTLE_SECONDS
                ),
                figures=figures,
            )
            before = secretary.turn_ids_until(at)

            def caught_up(screen: Screen) -> bool:
                if screen.snapshots > 1:
                    pytest.fail(
                        f"{screen.name} was sent a snapshot on resuming, not the events it "
                        f"missed\n{figures()}"
                    )
                return screen.has_seen(before)

            for screen in screens:
                _wait_for(
                    f"{screen.name} after {fault['name']}",
                    lambda screen=screen: caught_up(screen),
                    figures=figures,
                )
            fault["screens_caught_up_s"] = round(time.monotonic() - at, 1)

        try:
            # The screens open before the first turn: each turn reaches them as an event.
            _wait_for(
                "the screens' first snapshot",
                lambda: all(screen.snapshots for screen in screens),
                figures=figures,
            )
            threads[-1].start()
            _wait_for(
                "the first saves",
                lambda: len(secretary.acknowledged) >= SAVES_BETWEEN_FAULTS,
                figures=figures,
            )

            # 1. A worker is killed while it holds a screen's stream and, if it can be caught
            # so, the save being sent; gunicorn starts another.
            victim, during_save = _choose_victim(port, master, secretary, screens, figures)
            fault = {
                "name": "SIGKILL of a worker" + (" taking a save" if during_save else ""),
                "at": time.monotonic(),
            }
            os.kill(victim, signal.SIGKILL)
            faults.append(fault)
            _wait_for(
                "gunicorn to replace the killed worker",
                lambda: victim not in _workers(master) and len(_workers(master)) == WORKERS,
                figures=figures,
            )
            settle(fault)

            # 2. PostgreSQL restarted: every pooled connection of both workers dies.
            fault = {"name": "PostgreSQL restart", "at": time.monotonic()}
            faults.append(fault)
            postgres.restart()
            settle(fault)

            # 3. Redis stopped for a while, then started empty.
            fault = {"name": "Redis restart", "at": time.monotonic()}
            faults.append(fault)
            redis_server.stop()
            time.sleep(REDIS_DOWN_SECONDS)
            redis_server.start()
            settle(fault)

            secretary.stopping.set()
            threads[-1].join(timeout=RECOVERY_LIMIT * 3)
            # Every screen shows every turn acknowledged, however the last ones reached it.
            every_turn = {turn_id for turn_id, _ in secretary.acknowledged.values()}
            for screen in screens:
                _wait_for(
                    f"{screen.name} to show every turn",
                    lambda screen=screen: screen.has_seen(every_turn),
                    figures=figures,
                )
        finally:
            secretary.stopping.set()
            secretary.abandoning.set()
            for screen in screens:
                screen.stop()
            for thread in threads:
                if thread.ident is not None:
                    thread.join(timeout=RECOVERY_LIMIT * 3)
            for session in sessions:
                session.connection.close()

    summary = figures()
    print(summary)
    for worker in (secretary, *screens):
        assert worker.failure is None, f"{worker.failure!r}\n{summary}"
    assert not secretary.refused, f"turns refused: {secretary.refused[:5]}\n{summary}"
    # A save whose answer was lost was recognised when sent again, not saved twice.
    assert secretary.answers_lost and secretary.repeats_recognised, summary
    assert set(secretary.keys) == secretary.acknowledged.keys(), f"unacknowledged\n{summary}"
    assert not [a for a in secretary.attempts if a.outcome == "signed out"], summary

    # The database: each acknowledged turn once, under the id it was acknowledged with.
    engine = sa.create_engine(postgres.url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text("SELECT client_key, id FROM turns WHERE conference_id = :id"),
                {"id": conference_id},
            ).all()
            sequences = connection.execute(
                sa.text(
                    "SELECT sequence, kind FROM live_events WHERE conference_id = :id "
                    "ORDER BY sequence"
                ),
                {"id": conference_id},
            ).all()
    finally:
        engine.dispose()
    keys = [key for key, _ in stored]
    duplicates = len(keys) - len(set(keys))
    lost = secretary.acknowledged.keys() - set(keys)
    assert (len(lost), duplicates) == (0, 0), f"lost {sorted(lost)[:5]}\n{summary}"
    assert set(keys) <= set(secretary.keys), "a turn no one sent"
    assert dict(stored) == {key: ident for key, (ident, _) in secretary.acknowledged.items()}
    assert [sequence for sequence, _ in sequences] == list(range(1, len(sequences) + 1))
    assert sum(kind == "turn.created" for _, kind in sequences) == len(stored)

    # The screens: every turn's event, numbered without gap or repeat, resumed without snapshot.
    for screen in screens:
        assert screen.has_seen(every_turn), f"{screen.name}\n{summary}"
        assert not screen.gaps, f"{screen.name} skipped {screen.gaps}\n{summary}"
        assert not screen.repeats, f"{screen.name} repeated {screen.repeats[:10]}\n{summary}"
        assert screen.snapshots == 1, f"{screen.name}: {screen.snapshots} snapshots\n{summary}"
        assert screen.resumed >= 2, f"{screen.name} hardly resumed\n{summary}"
    assert sum(screen.dropped_by_server for screen in screens) >= 1, summary


def _figures(secretary: Secretary, screens: list[Screen], faults: list[dict], started: float):
    seconds = time.monotonic() - started
    attempts = list(secretary.attempts)
    errors: dict[str, int] = {}
    for attempt in attempts:
        if attempt.outcome not in {"acknowledged", "answer lost"}:
            errors[attempt.outcome] = errors.get(attempt.outcome, 0) + 1
    lines = [
        f"fault run: {seconds:.1f} s since gunicorn ({WORKERS} workers) answered",
        f"turns attempted {len(secretary.keys)}, acknowledged {len(secretary.acknowledged)}, "
        f"requests {len(attempts)}, retries {len(attempts) - len(secretary.keys)}, "
        f"answers lost on purpose {secretary.answers_lost} and repeats recognised by the "
        f"server {secretary.repeats_recognised}, "
        f"errors seen by the client {errors or 0}, "
        f"acknowledged saves p50 {_median_ms(attempts)} ms",
    ]
    for index, fault in enumerate(faults):
        end = faults[index + 1]["at"] if index + 1 < len(faults) else float("inf")
        window = [a for a in attempts if fault["at"] <= a.done < end]
        failed = [a for a in window if a.outcome not in {"acknowledged", "answer lost"}]
        recovered = fault["at"]
        if failed:
            after = [a for a in window if a.outcome == "acknowledged" and a.sent > failed[-1].sent]
            recovered = after[0].done if after else float("nan")
        details = sorted({f"{a.outcome} {a.detail[:60]}".strip() for a in failed})
        lines.append(
            f"  {fault['name']} at {fault['at'] - started:.1f} s: {len(failed)} failed saves, "
            "saving again after "
            f"{recovered - fault['at']:.1f} s, screens caught up after "
            f"{fault.get('screens_caught_up_s', '?')} s {details[:3] or ''}"
        )
    for screen in screens:
        lines.append(
            f"  {screen.name}: {len(screen.seen)} turns seen, {screen.connections} connections "
            f"({screen.resumed} resumed by Last-Event-ID, {screen.snapshots} snapshots), "
            f"dropped by server {screen.dropped_by_server} / by itself {screen.dropped_by_us}, "
            f"failed connections {screen.failed[:6]}{'…' if len(screen.failed) > 6 else ''}, "
            f"gaps {screen.gaps[:3]}, repeats {screen.repeats[:3]}"
        )
        lines.append(
            "    " + ", ".join(f"{at - started:.1f} s {what}" for at, what in screen.timeline)
        )
    return "\n".join(lines)


def _median_ms(attempts: list[Attempt]) -> int | None:
    times = sorted(a.done - a.sent for a in attempts if a.outcome == "acknowledged")
    return round(times[len(times) // 2] * 1000) if times else None
