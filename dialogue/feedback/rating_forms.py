"""The form of a rating: which answer, the level chosen, an optional comment, where to go back.

It carries no CSRF token: it sits on public pages that are the same for every visitor (the
live turns, the published minutes), so it is refused instead when the browser says it was
posted from another site (``feedback.device.posted_from_another_site``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Optional

from dialogue.feedback.models import AnswerKind, RatingLevel


def _level(value):
    if value in (None, "", "None"):
        return None
    return value if isinstance(value, RatingLevel) else RatingLevel(value)


class RatingForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(
        coerce=AnswerKind,
        choices=[SelectChoice(kind.value, kind.title) for kind in AnswerKind],
        default=AnswerKind.SPOKEN,
        invalid_value_message=_l("This is not an answer that can be rated."),
    )
    # Left out when only the comment is sent after the choice: the earlier level stays.
    level = SelectField(
        _l("Your rating"),
        coerce=_level,
        choices=[SelectChoice("", "")]
        + [SelectChoice(level.value, level.title) for level in RatingLevel],
        validators=[Optional()],
        invalid_value_message=_l(
            "Choose one of the three answers: Very satisfied, Satisfied or Not satisfied."
        ),
    )
    # Its length is checked by the operation, which says how long it is and may be.
    comment = TextAreaField(_l("Your comment (optional)"))
    next = HiddenField()
