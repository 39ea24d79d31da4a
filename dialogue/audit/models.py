"""The audit log: who changed what, when, with the fields before and after."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from dialogue.core.db import TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.extensions import db


class AuditAction(TitledEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EVENT = "event"

    @property
    def title(self) -> str:
        return {
            AuditAction.CREATE: _l("Created"),
            AuditAction.UPDATE: _l("Changed"),
            AuditAction.DELETE: _l("Deleted"),
            AuditAction.EVENT: _l("Event"),
        }[self]


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_ward_created", "ward_id", "created_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # No foreign keys: the log outlives the wards and accounts it mentions.
    ward_id: Mapped[int | None]
    user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction, "audit_action"))
    entity_type: Mapped[str] = mapped_column(sa.String(60))
    entity_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(255), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    remote_addr: Mapped[str] = mapped_column(sa.String(64), default="")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action.value} {self.entity_type}:{self.entity_id}>"
