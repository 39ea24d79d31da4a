"""What the health checks look at: the database, Redis and the mail worker.

Liveness (the process answers) costs nothing and reads nothing. Readiness names the state of
each dependency. Only the database is required: without it no page can be served. Without
Redis the application keeps working in a degraded way (rate limits counted per process, live
screens fed within one process, mail queued through the outbox sweep), and a mail worker that
is behind delays mail, not pages; both make the state "degraded", which a monitor should
report, and not a reason for the proxy to take every worker out of service at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from dialogue.config import REDIS_TIMEOUT_SECONDS
from dialogue.core.db import utcnow
from dialogue.extensions import db
from dialogue.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

REDIS_CLIENT_KEY = "dialogue.health.redis"
# The outbox sweep runs every minute: a message due this long and still waiting means that no
# worker is running (or none can reach the queue and the database).
MAIL_WORKER_LATE_AFTER = timedelta(minutes=5)

OK = "ok"
DEGRADED = "degraded"
UNAVAILABLE = "unavailable"
UNREACHABLE = "unreachable"
BEHIND = "behind"
UNKNOWN = "unknown"


@dataclass
class Readiness:
    """Each dependency's state, and what they add up to."""

    states: dict[str, str] = field(default_factory=dict)
    details: dict[str, dict] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)

    def add(self, name: str, state: str, *, required: bool = False) -> None:
        self.states[name] = state
        if required:
            self.required.add(name)

    @property
    def status(self) -> str:
        if any(self.states[name] != OK for name in self.required):
            return UNAVAILABLE
        if any(state != OK for state in self.states.values()):
            return DEGRADED
        return OK

    @property
    def is_ready(self) -> bool:
        return self.status != UNAVAILABLE

    def as_json(self) -> dict:
        """``{"status": …, "database": …, "redis": …, "mail_worker": …}`` and the details."""
        return {"status": self.status, **self.states, **self.details}


def readiness() -> Readiness:
    """Check every configured dependency, the required database first."""
    result = Readiness()
    database_ok = _database_answers()
    result.add("database", OK if database_ok else UNREACHABLE, required=True)
    if current_app.config.get("DIALOGUE_REDIS_URL"):
        result.add("redis", OK if _redis_answers() else UNREACHABLE)
    if current_app.config.get("MAIL_SERVER"):
        _add_mail_worker(result, database_ok=database_ok)
    return result


def _database_answers() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        db.session.rollback()
        log.info("health check: the database does not answer: %s", error)
        return False
    return True


def _redis_client() -> redis.Redis:
    client = current_app.extensions.get(REDIS_CLIENT_KEY)
    if client is None:
        client = redis.Redis.from_url(
            current_app.config["DIALOGUE_REDIS_URL"],
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            # One answer or none: the check is asked again in a few seconds anyway.
            retry=Retry(NoBackoff(), 0),
        )
        current_app.extensions[REDIS_CLIENT_KEY] = client
    return client


def _redis_answers() -> bool:
    try:
        return bool(_redis_client().ping())
    except (redis.RedisError, OSError) as error:
        log.info("health check: Redis does not answer: %s", error)
        return False


def _add_mail_worker(result: Readiness, *, database_ok: bool) -> None:
    """The worker's state as the outbox shows it: how long the oldest due message has waited."""
    if not database_ok:
        result.add("mail_worker", UNKNOWN)
        return
    now = utcnow()
    due_since = sa.func.coalesce(OutboxMessage.next_attempt_dt, OutboxMessage.created_dt)
    waiting, oldest_due = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.min(
                sa.case(
                    (
                        sa.and_(
                            OutboxMessage.status == OutboxStatus.QUEUED,
                            sa.or_(
                                OutboxMessage.next_attempt_dt.is_(None),
                                OutboxMessage.next_attempt_dt <= now,
                            ),
                        ),
                        due_since,
                    ),
                    else_=None,
                )
            ),
        ).where(OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]))
    ).one()
    waited = (now - oldest_due).total_seconds() if oldest_due is not None else 0.0
    result.add("mail_worker", BEHIND if waited > MAIL_WORKER_LATE_AFTER.total_seconds() else OK)
    result.details["mail_outbox"] = {
        "waiting": waiting,
        "oldest_due_seconds": round(max(waited, 0.0)),
    }
