"""The outbox: every message the application sends, written in the transaction that causes it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column
from dialogue.extensions import db
from dialogue.wards.models import Ward


class MailReason(TitledEnum):
    """Why the recipient gets the message: the footer of every message says so."""

    REFERRED_TO_UNIT = "referred_to_unit"
    DUE_DIGEST = "due_digest"
    AWAITING_APPROVAL = "awaiting_approval"
    ANSWER_PUBLISHED = "answer_published"
    TEST = "test"

    @property
    def title(self) -> str:
        return {
            MailReason.REFERRED_TO_UNIT: _l("A question was referred to your unit"),
            MailReason.DUE_DIGEST: _l("Daily list of answers due"),
            MailReason.AWAITING_APPROVAL: _l("An answer awaits approval"),
            MailReason.ANSWER_PUBLISHED: _l("The answer to your question is published"),
            MailReason.TEST: _l("Test message"),
        }[self]


class OutboxStatus(TitledEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"

    @property
    def title(self) -> str:
        return {
            OutboxStatus.QUEUED: _l("Waiting to be sent"),
            OutboxStatus.SENDING: _l("Being sent"),
            OutboxStatus.SENT: _l("Sent"),
            OutboxStatus.FAILED: _l("Could not be sent"),
        }[self]


# Reasons are added as features need them: stored as text without a CHECK constraint, so a
# new reason needs no migration.
REASON_LENGTH = 40


class OutboxMessage(TimestampMixin, db.Model):
    """One message to one address, with what the worker needs to send it and to retry."""

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("wards.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[MailReason] = mapped_column(
        sa.Enum(
            MailReason,
            name="mail_reason",
            native_enum=False,
            create_constraint=False,
            length=REASON_LENGTH,
            values_callable=lambda members: [member.value for member in members],
            validate_strings=True,
        )
    )
    # The Message-ID header: fixed when queued, so a message sent again after a lost reply
    # carries the same id and the recipient's mail program shows it once.
    message_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    # Names what the message is about ("digest:user:42:2026-12-06"): the same key twice
    # queues one message, however often the job that queues it runs.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    unsubscribe_url: Mapped[str | None] = mapped_column(sa.String(500))

    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    claimed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ward: Mapped[Ward | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.reason.value} {self.status.value}>"
