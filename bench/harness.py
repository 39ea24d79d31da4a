"""A small load harness: serve the app under gunicorn on loopback and time requests side by side.

Each benchmark seeds its own database, starts gunicorn, then interleaves the requests it
compares (a bare route and the real ones) so that both see the same machine noise.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# Shorter than gunicorn's keep-alive time (2 s by default, 5 s in gunicorn.conf.py), so no
# request goes out on a connection the server has just closed.
IDLE_RECONNECT_SECONDS = 1.5
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment the measured application runs with: production settings on ``database_url``."""
    return {
        "DIALOGUE_ENV": "production",
        "DIALOGUE_SECRET_KEY": "bench-" + "x" * 40,
        "DIALOGUE_DATABASE_URL": database_url,
        "DIALOGUE_SECURE_COOKIES": "0",
        **extra,
    }


def report(name: str, result: dict) -> None:
    """Print ``result`` and keep it in ``bench/results/<name>.json``."""
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"{name}.json").write_text(text)


@contextmanager
def postgres_scratch(database_url: str, suffix: str, *, keep: bool = False):
    """Yield the address of a new PostgreSQL database beside ``database_url``'s; drop it after.

    Its name is the given database's, ``suffix`` and a random part; ``keep`` leaves it (and
    prints its address) for another run.
    """
    import secrets

    import sqlalchemy as sa

    url = sa.engine.make_url(database_url)
    name = f"{url.database}_{suffix}_{secrets.token_hex(3)}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    scratch = url.set(database=name).render_as_string(hide_password=False)
    try:
        yield scratch
    finally:
        if keep:
            print(f"kept: {scratch}")
        else:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    workers: int = 2,
    threads: int = 4,
    app: str = "bench.benchapp:app",
    config: str | None = None,
    port: int | None = None,
    start_timeout: float = 120,
    worker_class: str = "gthread",
):
    """Run gunicorn on a free loopback port (or ``port``); yield the port; stop it afterwards.

    ``config`` is a gunicorn configuration file; the options given here override it.
    """
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        *(["--config", config] if config else []),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
        "--no-control-socket",
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    """Resident memory of each gunicorn worker, in MB (Linux /proc)."""
    sizes = []
    for child in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        sizes.append(kb / 1024)
    return sizes


@dataclass
class Session:
    """A keep-alive HTTP client with cookies, as one browser tab."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self._last_used = time.monotonic()

    def _fresh_connection(self) -> http.client.HTTPConnection:
        # The server closes a keep-alive connection left idle for its keep-alive time; like a
        # browser, open a new one rather than write into one the server has closed.
        if time.monotonic() - self._last_used > IDLE_RECONNECT_SECONDS:
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self._last_used = time.monotonic()
        return self.connection

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ):
        body = urlencode(form) if form is not None else None
        all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        connection = self._fresh_connection()
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, data, elapsed

    def request_raw(self, method: str, path: str, body: bytes, headers: dict):
        """Send ``body`` as it is (JSON, say) with the session's cookies."""
        all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        all_headers.update(headers)
        connection = self._fresh_connection()
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - started

    def csrf_token(self, path: str) -> str:
        status, data, _ = self.request("GET", path)
        match = CSRF_RE.search(data.decode())
        if status != 200 or match is None:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1)

    def login(self, username: str, password: str) -> None:
        token = self.csrf_token("/auth/login")
        status, _, _ = self.request(
            "POST", "/auth/login", {"username": username, "password": password, "csrf_token": token}
        )
        if status != 302:
            raise RuntimeError(f"login failed ({status})")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


@dataclass
class ClientRuns:
    """What the client processes measured against one gunicorn, gathered."""

    timings: dict[str, list[float]]
    # Requests per second of each kind: each client's back-to-back rate, summed.
    rates: dict[str, float]
    failures: list[str]
    worker_rss_mb: list[float]
    results: list[dict]


def run_clients(env: dict, client, args: tuple, clients: int, kinds) -> ClientRuns:
    """Serve under ``env`` and run ``clients`` processes of ``client(port, *args)`` at once.

    Each client returns ``{"timings": {kind: [seconds…]}, "failures": […]}`` and may add more.
    """
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    rates: dict[str, float] = dict.fromkeys(kinds, 0.0)
    failures: list[str] = []
    with gunicorn(env) as (port, master):
        with multiprocessing.get_context("spawn").Pool(clients) as pool:
            results = pool.starmap(client, [(port, *args)] * clients)
        memory = [round(mb, 1) for mb in worker_rss_mb(master)]
    for result in results:
        for kind, values in result["timings"].items():
            timings[kind].extend(values)
            # This client's rate for this kind: one request at a time, back to back.
            rates[kind] += len(values) / sum(values)
        failures.extend(result["failures"])
    return ClientRuns(timings, rates, failures, memory, results)


def rate_rows(
    kinds, timings: dict, rates: dict, compared: dict, sizes: dict | None = None
) -> list[dict]:
    """One summary row a kind, with its rate, and the ratio of each compared kind to its bare."""
    rows = []
    for kind in kinds:
        row = summary(kind, timings[kind])
        row["mean_ms"] = round(statistics.fmean(timings[kind]) * 1000, 2)
        row["rps"] = round(rates[kind], 1)
        if sizes is not None:
            row["bytes"] = sizes.get(kind)
        rows.append(row)
    by_name = {row["name"]: row for row in rows}
    for name, bare in compared.items():
        by_name[name]["ratio_to_bare"] = round(by_name[name]["rps"] / by_name[bare]["rps"], 3)
    return rows


def summary(name: str, seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "name": name,
        "n": len(ms),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
    }
