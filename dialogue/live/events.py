"""Numbering a conference's live changes and handing them to the bus once they are committed.

An operation calls :func:`emit` inside its transaction: the event gets the conference's next
sequence number and is stored with the change it describes. Only after the transaction
commits is it published, so a screen never shows a change that was rolled back; if the
publication is lost, the screen notices the gap in the numbers and takes a snapshot.
"""

from __future__ import annotations

import functools
import json
import logging

import redis
import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.extensions import db
from dialogue.live.models import LiveEvent

log = logging.getLogger(__name__)

PENDING_KEY = "dialogue.live.pending"


def channel_for(conference_id: int) -> str:
    return f"dialogue:conference:{conference_id}"


def next_sequence(conference: Conference, *, only_in_progress: bool = False) -> int | None:
    """Take the conference's next event number; the row lock orders concurrent writers.

    ``only_in_progress``: none is taken (None) unless the conference is in progress, as seen
    under the lock.
    """
    return _move_sequence(conference, 1, only_in_progress=only_in_progress)


def give_back_sequence(conference: Conference) -> None:
    """Return the number just taken, unused, while its lock is still held."""
    _move_sequence(conference, -1)


@functools.cache
def _moving(only_in_progress: bool) -> sa.Update:
    # Built once: every save runs it, and building it cost more than running it.
    in_progress = [Conference.status == ConferenceStatus.IN_PROGRESS] if only_in_progress else []
    return (
        sa.update(Conference)
        .where(Conference.id == sa.bindparam("ident"), *in_progress)
        .values(live_sequence=Conference.live_sequence + sa.bindparam("step"))
        .returning(Conference.live_sequence)
        .execution_options(synchronize_session=False)
    )


def _move_sequence(
    conference: Conference, step: int, *, only_in_progress: bool = False
) -> int | None:
    """Move the conference's event number by ``step`` under its row lock; the new number."""
    sequence = db.session.execute(
        _moving(only_in_progress), {"ident": conference.id, "step": step}
    ).scalar_one_or_none()
    if sequence is not None:
        sa.orm.attributes.set_committed_value(conference, "live_sequence", sequence)
    return sequence


@functools.cache
def _recording() -> sa.Insert:
    return sa.insert(LiveEvent)


def emit(
    conference: Conference,
    kind: str,
    staff: dict,
    public: dict | None = None,
    *,
    sequence: int | None = None,
) -> None:
    """Record one live change; it is published on the bus when the transaction commits.

    ``staff`` is what secretaries' screens receive; ``public`` what the projector and
    residents' phones receive (None: residents are not told of this change). ``sequence``
    is a number the caller already took with :func:`next_sequence`.
    """
    if sequence is None:
        sequence = next_sequence(conference)
    # One INSERT, no object for the session to track: nothing reads the row back here, and a
    # save holds the conference's lock while it runs.
    db.session.execute(
        _recording(),
        {
            "conference_id": conference.id,
            "sequence": sequence,
            "kind": kind,
            "staff_payload": staff,
            "public_payload": public,
        },
    )
    message = {
        "conference": conference.id,
        "seq": sequence,
        "kind": kind,
        "staff": staff,
        "public": public,
    }
    db.session.info.setdefault(PENDING_KEY, []).append(message)


@event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending or not has_app_context():
        return
    from dialogue.live.bus import get_bus

    # The application itself, not the context proxy: the bus is tied to its lifetime.
    bus = get_bus(current_app._get_current_object())
    for message in pending:
        try:
            bus.publish(channel_for(message["conference"]), json.dumps(message))
        except redis.RedisError as error:
            # The change is committed; screens catch up from the database on their next gap.
            # Redis down is said in a line (every save says it while it lasts), not a trace.
            log.warning("could not publish live event %s: %s", message["seq"], error)
        except Exception:
            log.exception("could not publish live event %s", message["seq"])


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
