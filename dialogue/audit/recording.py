"""Record every create, update and delete of an audited model, in one place: the flush.

A model opts in with ``__audited__ = True``; fields named in ``__audit_secret__`` are
recorded as changed without their values.
"""

from __future__ import annotations

import contextvars
import enum
import functools
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.core.db import utcnow

_IGNORED_FIELDS = frozenset({"created_dt", "updated_dt", "search_text"})
_cli_actor: contextvars.ContextVar[str | None] = contextvars.ContextVar("cli_actor", default=None)


def set_cli_actor(name: str | None) -> None:
    """Name the actor of changes made outside a request (a CLI command)."""
    _cli_actor.set(name)


def _jsonable(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _columns(obj) -> list[str]:
    return [
        attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in _IGNORED_FIELDS
    ]


def _secret(obj, key: str) -> bool:
    return key in getattr(obj, "__audit_secret__", ())


def _snapshot(obj) -> dict:
    return {
        key: ("***" if _secret(obj, key) else _jsonable(getattr(obj, key))) for key in _columns(obj)
    }


def _diff(obj) -> dict:
    state = inspect(obj)
    changes = {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after:
            continue
        if _secret(obj, key):
            changes[key] = ["***", "***"]
        else:
            changes[key] = [_jsonable(before), _jsonable(after)]
    return changes


def _actor() -> tuple[int | None, str, str]:
    cli = _cli_actor.get()
    if cli is not None:
        return None, cli, ""
    if not has_request_context():
        return None, "system", ""
    from flask_login import current_user

    remote = request.remote_addr or ""
    if current_user and current_user.is_authenticated:
        return current_user.id, current_user.username, remote
    return None, "anonymous", remote


def _ward_id(obj) -> int | None:
    if obj.__tablename__ == "wards":
        return obj.id
    return getattr(obj, "ward_id", None)


def _summary(obj) -> str:
    return repr(obj)[:255]


@event.listens_for(Mapper, "mapper_configured")
def _load_old_values(mapper, cls) -> None:
    # Without active history an expired attribute that is set has no "before" to record.
    if not getattr(cls, "__audited__", False):
        return
    for attr in mapper.column_attrs:
        event.listen(getattr(cls, attr.key), "set", _noop, active_history=True)


def _noop(target, value, oldvalue, initiator):
    return value


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context) -> None:
    rows = []
    for action, objects in (
        (AuditAction.CREATE, session.new),
        (AuditAction.UPDATE, session.dirty),
        (AuditAction.DELETE, session.deleted),
    ):
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            if action is AuditAction.UPDATE:
                if not session.is_modified(obj, include_collections=False):
                    continue
                changes = _diff(obj)
                if not changes:
                    continue
            elif action is AuditAction.CREATE:
                changes = {key: [None, value] for key, value in _snapshot(obj).items()}
            else:
                changes = {key: [value, None] for key, value in _snapshot(obj).items()}
            rows.append((obj, action, changes))
    if rows:
        _insert_rows(session, rows)


def record_created(session: Session, obj) -> None:
    """Record the creation of ``obj``, inserted without a flush (``core.database.insert_loaded``):
    the row the flush would have recorded."""
    changes = {key: [None, value] for key, value in _snapshot(obj).items()}
    _insert_rows(session, [(obj, AuditAction.CREATE, changes)])


@functools.cache
def _recording() -> sa.Insert:
    # Built once: every save records a row, and building the statement cost more than it.
    return sa.insert(AuditEvent)


def _insert_rows(session: Session, rows: list[tuple]) -> None:
    user_id, actor, remote = _actor()
    now = utcnow()
    values = [
        {
            "created_dt": now,
            "ward_id": _ward_id(obj),
            "user_id": user_id,
            "actor": actor[:120],
            "action": action,
            "entity_type": obj.__tablename__,
            "entity_id": getattr(obj, "id", None),
            "summary": _summary(obj),
            "changes": changes,
            "remote_addr": remote[:64],
        }
        for obj, action, changes in rows
    ]
    # One row is one plain INSERT; several, one statement for them all.
    session.connection().execute(_recording(), values[0] if len(values) == 1 else values)


def record_event(
    session: Session, *, ward_id: int | None, entity, summary: str, details: dict
) -> None:
    """Record something that is not a plain change of fields (an override, a sign-in)."""
    user_id, actor, remote = _actor()
    session.add(
        AuditEvent(
            ward_id=ward_id,
            user_id=user_id,
            actor=actor[:120],
            action=AuditAction.EVENT,
            entity_type=getattr(entity, "__tablename__", str(entity)),
            entity_id=getattr(entity, "id", None),
            summary=summary[:255],
            changes={key: _jsonable(value) for key, value in details.items()},
            remote_addr=remote[:64],
        )
    )
