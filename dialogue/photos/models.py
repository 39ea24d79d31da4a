"""Photos of a conference, kept in the database so that every application machine serves them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin
from dialogue.extensions import db
from dialogue.wards.models import WardScopedMixin


class Photo(WardScopedMixin, TimestampMixin, db.Model):
    """One photo, re-encoded as JPEG without metadata; the uploaded file itself is never kept."""

    __tablename__ = "photos"
    __audited__ = True
    # The audit log records that the pictures changed, not their bytes.
    __audit_secret__ = frozenset({"content", "thumb"})
    __table_args__ = (
        sa.Index("ix_photos_conference_position", "conference_id", "position"),
        sa.CheckConstraint("width > 0 AND height > 0", name="has_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id", ondelete="CASCADE"))
    caption: Mapped[str] = mapped_column(sa.String(500))
    position: Mapped[int] = mapped_column(default=0)
    width: Mapped[int]
    height: Mapped[int]
    thumb_width: Mapped[int]
    thumb_height: Mapped[int]
    byte_size: Mapped[int]
    content_sha256: Mapped[str] = mapped_column(sa.String(64))
    # SHA-256 of the file as uploaded (which is not kept): the same file again is refused
    # before it is decoded. Photos added before it was recorded have none.
    upload_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # Loaded only when an image is served, never with a list of photos.
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    thumb: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    conference: Mapped[Conference] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def etag(self) -> str:
        return self.content_sha256

    def __repr__(self) -> str:
        return f"<Photo {self.id} conference={self.conference_id} #{self.position}>"
