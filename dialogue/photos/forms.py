"""Forms of the photos of a conference: upload one, change its caption, move it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from dialogue.core.text import normalize_text
from dialogue.photos.imaging import MAX_BYTES
from dialogue.photos.operations import CAPTION_MAX


def _caption_field() -> StringField:
    return StringField(
        _l("Caption"),
        validators=[
            DataRequired(_l("Write a caption.")),
            Length(max=CAPTION_MAX, message=_l("At most %(max)d characters.")),
        ],
        filters=[normalize_text],
        description=_l("What the photo shows, in a sentence: it is printed under the photo."),
    )


class PhotoUploadForm(FlaskForm):
    file = FileField(
        _l("Photo (JPEG or PNG, at most %(size)s MB)", size=MAX_BYTES // (1024 * 1024)),
        validators=[FileRequired(_l("Choose a photo."))],
        render_kw={"accept": "image/jpeg,image/png"},
    )
    caption = _caption_field()


class CaptionForm(FlaskForm):
    caption = _caption_field()


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])
