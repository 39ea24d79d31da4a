"""Forms of the residents' question form and of the moderation queue.

The question form carries a signed stamp: when it was given out, for which conference, and a
random key. A post that comes back a day later, or with a stamp nobody signed, is not taken;
the key also makes a double click send one question, not two. A post that comes back within
seconds is only suspect: a resident may paste a question and send it at once. It is refused
only when it also carries a web link, as robots' posts do (``AskForm.looks_automated``).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from dialogue.core.forms import strip
from dialogue.questions.operations import (
    MAX_CONTACT_LENGTH,
    MAX_NAME_LENGTH,
    MAX_REASON_LENGTH,
    QuestionData,
    count_links,
)

NO_CHOICE = 0
# Not an id of any row: what a forged, non-numeric choice becomes, so the check refuses it.
UNKNOWN_CHOICE = -1
STAMP_SALT = "dialogue.questions.ask"
STAMP_MAX_AGE = 24 * 3600
# A clock a little ahead on another worker is not a forgery.
STAMP_CLOCK_SKEW = 60


def _choice(value) -> int:
    if value in (None, "", NO_CHOICE, str(NO_CHOICE)):
        return NO_CHOICE
    try:
        return int(value)
    except (TypeError, ValueError):
        return UNKNOWN_CHOICE


# -- the stamp -------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=STAMP_SALT)


def issue_stamp(conference_id: int, *, now: float | None = None) -> str:
    """A new signed stamp for the question form of ``conference_id``."""
    issued = int(now if now is not None else time.time())
    return _serializer().dumps([conference_id, issued, secrets.token_urlsafe(16)])


@dataclass(frozen=True)
class Stamp:
    """A stamp read back: ``problem`` is the message to show when the post is not taken."""

    key: str | None
    problem: str | None
    # False when the form must get a new stamp (forged, missing or expired).
    reusable: bool
    # Back sooner than QUESTION_FORM_MIN_SECONDS after the form was given out: a pasted
    # question, or a robot; the form's other signs decide (``AskForm.looks_automated``).
    hasty: bool = False


def read_stamp(value: str | None, conference_id: int, *, now: float | None = None) -> Stamp:
    now = now if now is not None else time.time()
    forged = Stamp(
        None,
        _("Your question was not sent: the form could not be checked. Press Send again."),
        reusable=False,
    )
    if not value:
        return forged
    try:
        stamp_conference, issued, key = _serializer().loads(value)
    except (BadSignature, TypeError, ValueError):
        return forged
    if stamp_conference != conference_id or not isinstance(issued, int) or not key:
        return forged
    age = now - issued
    if age < -STAMP_CLOCK_SKEW:
        return forged
    if age > STAMP_MAX_AGE:
        return Stamp(
            None,
            _(
                "Your question was not sent: this form was opened more than a day ago. "
                "Check your question and press Send again."
            ),
            reusable=False,
        )
    hasty = age < current_app.config["QUESTION_FORM_MIN_SECONDS"]
    return Stamp(key, None, reusable=True, hasty=hasty)


def hasty_message() -> str:
    """What a sender is told when a hasty post also looked automated; sent again, it goes."""
    return _(
        "Your question was not sent: the form came back too quickly after it was "
        "opened. Check your question and press Send again."
    )


# -- the residents' form ---------------------------------------------------------------------


class AskForm(FlaskForm):
    asker_name = StringField(
        _l("Your name (optional)"),
        validators=[
            Length(max=MAX_NAME_LENGTH, message=_l("At most %(max)d characters.")),
        ],
        filters=[strip],
    )
    residential_group_id = SelectField(
        _l("Your residential group"), coerce=_choice, default=NO_CHOICE, validate_choice=False
    )
    procedure_area_id = SelectField(
        _l("What is it about?"), coerce=_choice, default=NO_CHOICE, validate_choice=False
    )
    question = TextAreaField(
        _l("Your question or proposal"),
        validators=[DataRequired(_l("Write your question."))],
    )
    contact = StringField(
        _l("Phone or e-mail (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_CONTACT_LENGTH, message=_l("At most %(max)d characters.")),
        ],
        filters=[strip],
    )
    has_contact_consent = BooleanField(
        _l(
            "I agree that the ward office keeps this phone number or e-mail address to tell me "
            "about my question, and uses it for nothing else."
        )
    )
    # A trap for robots that fill in every box: hidden from people by the style sheet.
    website = StringField(_l("Leave this box empty"))
    stamp = HiddenField()

    def looks_automated(self) -> bool:
        """Tell whether what was typed has a robot's mark: a web link in the question or name.

        Alone it refuses nothing (residents may cite a page); with a hasty stamp it does.
        """
        return count_links(self.question.data or "") + count_links(self.asker_name.data or "") > 0

    def __init__(self, *args, groups, areas, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.residential_group_id.choices = [
            SelectChoice(NO_CHOICE, _l("Not from a residential group (business, other)"))
        ] + [SelectChoice(group.id, group.name) for group in groups]
        self.procedure_area_id.choices = [SelectChoice(NO_CHOICE, _l("I don't know"))] + [
            SelectChoice(area.id, area.name_for(locale)) for area in areas
        ]

    def to_data(self) -> QuestionData:
        return QuestionData(
            question=self.question.data or "",
            asker_name=self.asker_name.data or "",
            residential_group_id=self.residential_group_id.data or None,
            procedure_area_id=self.procedure_area_id.data or None,
            contact=self.contact.data or "",
            has_contact_consent=bool(self.has_contact_consent.data),
        )


# -- moderation ------------------------------------------------------------------------------


class DecisionForm(FlaskForm):
    """A decision that needs nothing but its CSRF token (accept); ``next`` leads back."""

    next = HiddenField()


class MergeForm(DecisionForm):
    # "question:12" or "turn:5": one list holds both kinds of target.
    target = SelectField(
        _l("Merge with"),
        validators=[DataRequired(_l("Choose the question or the turn to merge it with."))],
        validate_choice=False,
    )

    def parsed_target(self) -> tuple[str, int] | None:
        kind, _sep, ident = (self.target.data or "").partition(":")
        if kind not in {"question", "turn"} or not ident.isdigit():
            return None
        return kind, int(ident)


class RejectForm(DecisionForm):
    reason = TextAreaField(
        _l("Reason, shown to the sender"),
        validators=[
            DataRequired(_l("Write the reason: the sender will read it.")),
            Length(max=MAX_REASON_LENGTH, message=_l("At most %(max)d characters.")),
        ],
    )
