"""A PostgreSQL cluster and a Redis server of a test's own, which the test may stop and restart.

Tests that break the services must never touch the shared ones (PostgreSQL on 5432, Redis on
6379): each of these lives in a temporary directory, listens on a free loopback port and is
gone when the test ends. Run as root (a container, CI), PostgreSQL refuses to start, so its
programs then run as the ``postgres`` system account through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

START_TIMEOUT = 30


def free_port(lowest: int | None = None, highest: int | None = None) -> int:
    """A loopback port nobody listens on: any, or the first free one in ``lowest..highest``."""
    candidates = [0] if lowest is None else range(lowest, (highest or lowest) + 1)
    for candidate in candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in {lowest}–{highest}")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def postgres_programs() -> Path | None:
    """The directory of PostgreSQL's server programs (``initdb``, ``pg_ctl``), or None."""
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(directory, "initdb"), os.X_OK):
            return Path(directory)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    return None


def postgres_missing() -> str | None:
    """Why a private PostgreSQL cluster cannot be started here; None when it can."""
    if postgres_programs() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres account to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to run PostgreSQL as postgres"
    return None


def redis_missing() -> str | None:
    """Why a private Redis server cannot be started here; None when it can."""
    return None if shutil.which("redis-server") else "redis-server is not installed"


class PostgresCluster:
    """A PostgreSQL cluster in a temporary directory: ``initdb``, then ``pg_ctl`` to run it."""

    def __init__(self):
        self.bin = postgres_programs()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="dialogue-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [*self._as_postgres, str(self.bin / args[0]), *args[1:]]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if finished.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({finished.returncode}):\n"
                f"{finished.stdout}{finished.stderr}\n{self.log_text()}"
            )

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", *options)

    def start(self) -> None:
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        # Loopback only, its socket in its own directory, no fsync: a test's data.
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=50"
        )
        self._pg_ctl("start", "-t", str(START_TIMEOUT), "-o", options)

    def restart(self) -> None:
        """Stop at once (every session cut, as a server restart does), then start again."""
        self._pg_ctl("restart", "-m", "fast", "-t", str(START_TIMEOUT))

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._pg_ctl("stop", "-m", "immediate")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class RedisServer:
    """A Redis server keeping nothing on disk, on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="dialogue-redis-"))
        self.log = self.root / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--logfile",
                str(self.log),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""
