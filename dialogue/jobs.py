"""Background jobs: one Huey queue per application, and the tasks its worker runs.

The queue lives in Redis when ``DIALOGUE_REDIS_URL`` is set, in a SQLite file in ``instance/``
otherwise; tests run tasks at once in the process that queues them. ``flask dialogue worker``
runs the consumer: it executes queued tasks and the periodic ones (the outbox sweep and the
API's answers prepared after changes every minute, the follow-up digests every morning).
Several workers may run side by side: a message is claimed in the database before it is
sent, digests are queued once per key, and a ward's answers prepared twice are stored once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper

from dialogue.core.database import begin_immediately
from dialogue.errors import ConfigurationError
from dialogue.extensions import db

log = logging.getLogger(__name__)

EXTENSION_KEY = "dialogue.jobs"
QUEUE_NAME = "dialogue"
# The follow-up digests reach staff before the working day.
DIGEST_TIME = (6, 30)
REDIS_CONNECT_TIMEOUT = 2
REDIS_SOCKET_TIMEOUT = 10
WORKER_SHUTDOWN_TIMEOUT = 30
WORKER_MAX_POLL_SECONDS = 2.0


@dataclass(frozen=True)
class Jobs:
    huey: Huey
    deliver_message: TaskWrapper
    sweep_outbox: TaskWrapper
    daily_digests: TaskWrapper
    prepare_api_answers: TaskWrapper


class _LazyJobs:
    """Builds the queue on first use: most processes (and tests) never touch it."""

    def __init__(self, app: Flask):
        self.app = app
        self.jobs: Jobs | None = None
        self.lock = threading.Lock()

    def get(self) -> Jobs:
        with self.lock:
            if self.jobs is None:
                self.jobs = _register_tasks(build_huey(self.app.config), self.app)
            return self.jobs


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = _LazyJobs(app)


def get_jobs(app: Flask | None = None) -> Jobs:
    app = app or current_app._get_current_object()
    return app.extensions[EXTENSION_KEY].get()


def close_jobs(app: Flask) -> None:
    """Close the queue's connections (tests, and a worker that stops)."""
    holder = app.extensions.get(EXTENSION_KEY)
    if holder is None or holder.jobs is None:
        return
    storage = holder.jobs.huey.storage
    if isinstance(holder.jobs.huey, RedisHuey):
        storage.pool.disconnect()
    elif hasattr(storage, "close"):
        storage.close()
    holder.jobs = None


def build_huey(config) -> Huey:
    backend = config["DIALOGUE_JOBS"]
    if backend == "immediate":
        return MemoryHuey(QUEUE_NAME, immediate=True, results=False)
    if backend == "redis":
        pool = redis.ConnectionPool.from_url(
            config["DIALOGUE_REDIS_URL"],
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
        )
        return RedisHuey(QUEUE_NAME, connection_pool=pool, results=False)
    path = Path(config["DIALOGUE_JOBS_DATABASE"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(path), results=False)


def enqueue_delivery(outbox_id: int) -> None:
    """Hand a committed outbox message to the worker; if that fails, the sweep sends it."""
    try:
        get_jobs().deliver_message(outbox_id)
    except Exception:
        log.warning(
            "could not queue outbox message %s (the sweep will send it)", outbox_id, exc_info=True
        )


# -- tasks -----------------------------------------------------------------------------------


def _every_minute(timestamp: datetime) -> bool:
    return True


def daily_at(hour: int, minute: int, timezone: str) -> Callable[[datetime], bool]:
    """A periodic task's schedule: once a day at ``hour:minute`` local time."""
    zone = ZoneInfo(timezone)

    def validate(timestamp: datetime) -> bool:
        # The consumer checks once a minute, with the time in UTC and without a zone.
        local = timestamp.replace(tzinfo=UTC).astimezone(zone)
        return (local.hour, local.minute) == (hour, minute)

    return validate


def _register_tasks(huey: Huey, app: Flask) -> Jobs:
    from dialogue.mail import operations

    @huey.task(name="deliver_message")
    def deliver_message(outbox_id: int) -> None:
        with app.app_context():
            operations.deliver(outbox_id)

    @huey.periodic_task(_every_minute, name="sweep_outbox")
    def sweep_outbox() -> None:
        with app.app_context():
            operations.deliver_due()

    @huey.periodic_task(
        daily_at(*DIGEST_TIME, app.config["BABEL_DEFAULT_TIMEZONE"]), name="daily_digests"
    )
    def daily_digests() -> None:
        with app.app_context():
            queue_daily_digests()

    @huey.periodic_task(_every_minute, name="prepare_api_answers")
    def prepare_api_answers() -> None:
        from dialogue.api.prepared import prepare

        with app.app_context():
            prepare()

    return Jobs(huey, deliver_message, sweep_outbox, daily_digests, prepare_api_answers)


def queue_daily_digests(now: datetime | None = None) -> bool:
    """Queue the follow-up feature's morning digests, if the feature provides them.

    Each ward's "today" is its own (``now`` in its time zone): the feature works that out.
    """
    try:
        from dialogue.followup import notifications
    except ModuleNotFoundError as error:
        if error.name not in {"dialogue.followup", "dialogue.followup.notifications"}:
            raise
        log.info("no follow-up notifications to queue: daily digests skipped")
        return False
    # Reads then writes: on SQLite take the write lock first, as commands do.
    begin_immediately(True)
    try:
        notifications.queue_daily_digests(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    finally:
        begin_immediately(False)
    return True


# -- the worker ------------------------------------------------------------------------------


def run_worker(app: Flask, *, workers: int) -> None:
    """Run the consumer until SIGTERM (finish what is being sent) or SIGINT (stop now)."""
    jobs = get_jobs(app)
    if jobs.huey.immediate:
        raise ConfigurationError(
            "DIALOGUE_JOBS=immediate runs tasks in the process that queues them: "
            "there is no queue for a worker."
        )
    consumer = jobs.huey.create_consumer(
        workers=workers,
        periodic=True,
        worker_type="thread",
        graceful_signal="TERM",
        shutdown_timeout=WORKER_SHUTDOWN_TIMEOUT,
        # An idle worker looks at a SQLite queue this often at most (Redis wakes it at once).
        max_delay=WORKER_MAX_POLL_SECONDS,
    )
    try:
        consumer.run()
    finally:
        close_jobs(app)
