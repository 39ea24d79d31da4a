"""Writing the photos of a conference: add, caption, reorder, delete."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.auth.models import User
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.database import begin_writing
from dialogue.core.text import normalize_text
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.photos.imaging import Picture, prepare_photo, upload_sha256
from dialogue.photos.models import Photo

# Published minutes show the photos as they were; a cancelled conference has none to add.
FROZEN_STATES = frozenset({ConferenceStatus.PUBLISHED, ConferenceStatus.CANCELLED})
MAX_PHOTOS = 60
CAPTION_MAX = 500


def photos_editable(conference: Conference) -> bool:
    return conference.status not in FROZEN_STATES


def photos_of(conference: Conference, *, for_update: bool = False) -> list[Photo]:
    """The conference's photos in their order, without their bytes."""
    stmt = (
        sa.select(Photo)
        .where(Photo.conference_id == conference.id)
        .order_by(Photo.position, Photo.id)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list(db.session.scalars(stmt))


def frozen_message(conference: Conference) -> str:
    """Say why the photos of ``conference`` can no longer change."""
    if conference.status is ConferenceStatus.CANCELLED:
        return _("The conference is cancelled: its photos can no longer be changed.")
    return _("The minutes are published: the photos can no longer be changed.")


def _check_editable(conference: Conference) -> None:
    if not photos_editable(conference):
        raise ValidationFailed(frozen_message(conference))


def _checked_caption(caption: str) -> str:
    caption = normalize_text(caption)
    if not caption:
        raise ValidationFailed(_("Write a caption."), field="caption")
    if len(caption) > CAPTION_MAX:
        raise ValidationFailed(
            _("At most %(limit)s characters.", limit=CAPTION_MAX), field="caption"
        )
    return caption


def _check_not_among(conference: Conference, same: sa.ColumnElement[bool]) -> None:
    duplicate = db.session.scalar(
        sa.select(Photo.id).where(Photo.conference_id == conference.id, same).limit(1)
    )
    if duplicate is not None:
        raise ValidationFailed(
            _("This photo is already among the conference's photos."), field="file"
        )


def _next_position(conference: Conference, fingerprint: str) -> int:
    """Check that one more photo, not this file again, may be added; say where it goes."""
    _check_editable(conference)
    count, last = db.session.execute(
        sa.select(sa.func.count(Photo.id), sa.func.max(Photo.position)).where(
            Photo.conference_id == conference.id
        )
    ).one()
    if count >= MAX_PHOTOS:
        raise ValidationFailed(
            _("A conference keeps at most %(limit)s photos.", limit=MAX_PHOTOS), field="file"
        )
    # The same file again is refused from its bytes, before a pixel of it is decoded.
    _check_not_among(conference, Photo.upload_sha256 == fingerprint)
    return (last or 0) + 1


def add_photo(
    conference: Conference, data: bytes, *, caption: str, uploaded_by: User | None
) -> Photo:
    """Check, re-encode and keep an uploaded photo at the end of the conference's photos."""
    _check_editable(conference)
    caption = _checked_caption(caption)
    fingerprint = upload_sha256(data)
    _next_position(conference, fingerprint)
    # Decoding takes seconds: on SQLite the write lock is not held meanwhile (the reads end
    # here), and what was checked is checked again under it afterwards.
    begin_writing()
    picture: Picture = prepare_photo(data)
    position = _next_position(conference, fingerprint)
    # The same picture in another file (other metadata, say) is found by its content.
    _check_not_among(conference, Photo.content_sha256 == picture.sha256)
    photo = Photo(
        conference=conference,
        ward_id=conference.ward_id,
        caption=caption,
        position=position,
        width=picture.width,
        height=picture.height,
        thumb_width=picture.thumb_width,
        thumb_height=picture.thumb_height,
        byte_size=len(picture.content),
        content_sha256=picture.sha256,
        upload_sha256=fingerprint,
        content=picture.content,
        thumb=picture.thumb,
        uploaded_by=uploaded_by,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def change_caption(photo: Photo, caption: str) -> None:
    _check_editable(photo.conference)
    photo.caption = _checked_caption(caption)
    db.session.flush()


def move_photo(photo: Photo, *, up: bool) -> bool:
    """Swap ``photo`` with its neighbour before (up) or after it; tell whether it moved."""
    _check_editable(photo.conference)
    ordered = photos_of(photo.conference, for_update=True)
    # Renumber first: positions may have gaps or ties after deletions and concurrent edits.
    for number, each in enumerate(ordered, start=1):
        if each.position != number:
            each.position = number
    index = ordered.index(photo)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        db.session.flush()
        return False
    neighbour = ordered[other]
    photo.position, neighbour.position = neighbour.position, photo.position
    db.session.flush()
    return True


def delete_photo(photo: Photo) -> None:
    _check_editable(photo.conference)
    db.session.delete(photo)
    db.session.flush()
