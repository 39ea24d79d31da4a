"""Forms of the secretaries' console: a turn, a withdrawal, a move.

The same forms read a plain form post (the console without JavaScript) and the JSON the
console's script sends; ids of groups, areas and units are checked by the operations against
the conference's ward, so their messages say what is wrong rather than "Not a valid choice".
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import HiddenInput

from dialogue.core.db import utcnow
from dialogue.live.models import TurnOutcome
from dialogue.live.operations import MAX_QUESTION_LENGTH, MAX_REASON_LENGTH, TurnData
from dialogue.wards.models import ProcedureArea, ResidentialGroup, Unit

NO_CHOICE = 0
MAX_TEXT_LENGTH = 10_000

# Fields named by the operations' errors → the form's field that shows the message.
ERROR_FIELDS = {
    "speaker": "speaker_name",
    "speaker_group": "speaker_group_id",
    "procedure_area": "procedure_area_id",
    "answerer": "answerer_name",
    "referral_unit": "referral_unit_id",
}


def _hidden_id(label):
    return IntegerField(label, widget=HiddenInput(), validators=[Optional()])


def parse_moment(value: str | None) -> datetime | None:
    """A moment as the browser writes it (``Date.toISOString``), or None for anything else."""
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)


def spoken_moment(saved_at: str | None, sent_at: str | None) -> datetime | None:
    """When a turn was spoken, by the server's clock: now, less how long it waited to be sent.

    The browser tells when it saved the turn and when it sent it, both by its own clock: the
    wait between them does not depend on that clock being right, only on it running. Without
    both (a form without the script), or with a sending before the saving: None (now).
    """
    saved, sent = parse_moment(saved_at), parse_moment(sent_at)
    if saved is None or sent is None or sent < saved:
        return None
    return utcnow() - (sent - saved)


class TurnForm(FlaskForm):
    """One speaking turn, new or edited; ``version`` is the one the edit started from."""

    client_key = HiddenField(
        validators=[
            Optional(),
            Regexp(r"^[A-Za-z0-9_-]{8,64}$", message=_l("The form is damaged: reload the page.")),
        ]
    )
    version = _hidden_id(_l("Version"))
    # When the browser saved the turn and when it sent it (offline, long after), and whether
    # the speaker's name was typed while the list of those present could not be consulted.
    saved_at = HiddenField()
    sent_at = HiddenField()
    speaker_unchecked = HiddenField()
    speaker_attendee_id = _hidden_id(_l("Speaker"))
    speaker_name = StringField(_l("Speaker"), validators=[Length(max=120)])
    speaker_group_id = SelectField(
        _l("Residential group"), coerce=int, default=NO_CHOICE, validate_choice=False
    )
    speaker_organisation = StringField(_l("or organisation"), validators=[Length(max=200)])
    procedure_area_id = SelectField(
        _l("Procedure area"), coerce=int, default=NO_CHOICE, validate_choice=False
    )
    question = TextAreaField(
        _l("Question"),
        validators=[
            DataRequired(_l("Write the question before saving.")),
            Length(max=MAX_QUESTION_LENGTH),
        ],
    )
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(outcome.value, outcome.title) for outcome in TurnOutcome],
        default=TurnOutcome.PENDING.value,
        validators=[DataRequired(_l("Choose what became of the question."))],
    )
    answerer_attendee_id = _hidden_id(_l("Answered by"))
    answerer_name = StringField(_l("Answered by"), validators=[Length(max=255)])
    answer = TextAreaField(_l("Answer"), validators=[Length(max=MAX_TEXT_LENGTH)])
    referral_unit_id = SelectField(
        _l("Responsible unit"), coerce=int, default=NO_CHOICE, validate_choice=False
    )
    referral_due_date = DateField(_l("Due date"), validators=[Optional()])
    referral_note = TextAreaField(_l("Note"), validators=[Length(max=MAX_TEXT_LENGTH)])

    def offer(
        self,
        *,
        groups: list[ResidentialGroup],
        areas: list[ProcedureArea],
        units: list[Unit],
        locale: str,
    ) -> None:
        """Fill the lists to choose from, for a form about to be shown.

        A save does not need them (the ids are checked against the ward by the operation):
        reading the ward's areas, units and groups is left to the forms that are shown.
        """
        self.speaker_group_id.choices = [SelectChoice(NO_CHOICE, _l("None"))] + [
            SelectChoice(group.id, group.name) for group in groups
        ]
        self.procedure_area_id.choices = [SelectChoice(NO_CHOICE, _l("Not said"))] + [
            SelectChoice(
                area.id,
                f"{area.code} · {area.name_for(locale)}",
                optgroup=(area.group_en if locale == "en" and area.group_en else area.group_vi)
                or None,
            )
            for area in areas
        ]
        self.referral_unit_id.choices = [SelectChoice(NO_CHOICE, _l("Choose a unit"))] + [
            SelectChoice(unit.id, unit.name) for unit in units
        ]

    def to_data(self) -> TurnData:
        return TurnData(
            question=self.question.data or "",
            speaker_name=self.speaker_name.data or "",
            speaker_attendee_id=self.speaker_attendee_id.data or None,
            speaker_group_id=self.speaker_group_id.data or None,
            speaker_organisation=self.speaker_organisation.data or "",
            procedure_area_id=self.procedure_area_id.data or None,
            outcome=TurnOutcome(self.outcome.data),
            answerer_attendee_id=self.answerer_attendee_id.data or None,
            answerer_name=self.answerer_name.data or "",
            answer=self.answer.data or "",
            referral_unit_id=self.referral_unit_id.data or None,
            referral_due_date=self.referral_due_date.data,
            referral_note=self.referral_note.data or "",
            spoken_dt=spoken_moment(self.saved_at.data, self.sent_at.data),
            speaker_unchecked=self.speaker_unchecked.data in {"y", "1", "true", "on"},
        )

    def error_field(self, name: str | None) -> str | None:
        """The form field an operation's error ``name`` belongs to."""
        name = ERROR_FIELDS.get(name or "", name)
        return name if name in self._fields else None


class WithdrawForm(FlaskForm):
    reason = StringField(
        _l("Reason for withdrawing"),
        validators=[
            DataRequired(_l("Say why the turn is withdrawn.")),
            Length(max=MAX_REASON_LENGTH),
        ],
    )


class MoveForm(FlaskForm):
    """Move one turn a place earlier or later (the console's ↑ and ↓ buttons)."""

    turn_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    direction = RadioField(
        choices=[SelectChoice("up", _l("Earlier")), SelectChoice("down", _l("Later"))],
        validators=[InputRequired()],
    )


class ConfirmSpeakerForm(FlaskForm):
    """Settle a speaker's name typed offline: the person it is, or the name as typed."""

    attendee_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    keep = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        return self.attendee_id.data is not None or self.keep.data in {"y", "1", "true", "on"}

    def chosen_attendee_id(self) -> int | None:
        """The attendee chosen; None to keep the name as it was typed."""
        return self.attendee_id.data
