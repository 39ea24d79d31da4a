"""Forms of the follow-up: the unit's answer and requests, the chair's decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dialogue.core import ids
from dialogue.core.forms import strip
from dialogue.followup.listing import OVERDUE, ReferralFilters
from dialogue.followup.models import ReferralStatus
from dialogue.followup.operations import MAX_ANSWER_LENGTH, AnswerData, Attachment

DATE_MESSAGE = _l("Write the date as dd/mm/yyyy, or pick it from the calendar.")


def _optional_id(value) -> int | None:
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    # A number past any key is no conference or unit: no filter, as for any unknown one.
    return number if ids.is_storable(number) else None


def status_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("All")),
        *(SelectChoice(status.value, status.title) for status in ReferralStatus),
        SelectChoice(OVERDUE, _l("Past its due date")),
    ]


class QueueFilterForm(FlaskForm):
    """The filters above a list of referrals: a plain GET form, no token needed."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validate_choice=False)
    conference = SelectField(_l("Conference"), coerce=_optional_id, validate_choice=False)
    unit = SelectField(_l("Unit"), coerce=_optional_id, validate_choice=False)
    q = StringField(_l("Words of the question or answer"), filters=[strip])

    def __init__(self, *args, conferences, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = status_choices()
        self.conference.choices = [SelectChoice("", _l("All conferences"))] + [
            SelectChoice(str(conference.id), label) for conference, label in conferences
        ]
        self.unit.choices = [SelectChoice("", _l("All units"))] + [
            SelectChoice(str(unit.id), unit.name) for unit in units
        ]

    def to_filters(self) -> ReferralFilters:
        return ReferralFilters(
            conference_id=self.conference.data,
            unit_id=self.unit.data,
            status=self.status.data or "",
            text=(self.q.data or "")[:200],
        )


class AnswerForm(FlaskForm):
    body = TextAreaField(
        _l("Written answer"),
        validators=[Length(max=MAX_ANSWER_LENGTH)],
        description=_l(
            "Plain text, one paragraph a line. Residents read this on the ward's follow-up page."
        ),
    )
    letter_number = StringField(
        _l("Number of the reply letter"),
        validators=[Optional(), Length(max=60)],
        filters=[strip],
        description=_l('As printed on the letter, e.g. "125/UBND-VP". Optional.'),
    )
    letter_date = DateField(
        _l("Date of the reply letter"),
        validators=[Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
    )
    attachment = FileField(
        _l("Signed reply letter (PDF)"),
        description=_l("Optional. A PDF of at most 10 MB, not password-protected."),
        render_kw={"accept": "application/pdf,.pdf"},
    )
    remove_attachment = BooleanField(_l("Remove the attached letter"))
    revision = HiddenField()
    save = SubmitField(_l("Save the draft"))
    send = SubmitField(_l("Save and send for approval"))

    def revision_number(self) -> int | None:
        return _optional_id(self.revision.data)

    def to_data(self, attachment: Attachment | None) -> AnswerData:
        return AnswerData(
            body=self.body.data or "",
            letter_number=self.letter_number.data or "",
            letter_date=self.letter_date.data,
            attachment=attachment,
            remove_attachment=bool(self.remove_attachment.data),
        )


class SubmitForm(FlaskForm):
    revision = IntegerField(validators=[InputRequired()])


class ReviewForm(FlaskForm):
    reason = TextAreaField(
        _l("What should change (when sending back)"),
        validators=[Length(max=4000)],
    )
    approve = SubmitField(_l("Approve and publish"))
    send_back = SubmitField(_l("Send back to the unit"))


class CorrectionForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the published answer must be corrected"),
        validators=[
            DataRequired(message=_l("Say why the published answer must be corrected.")),
            Length(max=4000),
        ],
    )


class ExtensionForm(FlaskForm):
    new_due_date = DateField(
        _l("New due date"),
        validators=[InputRequired(message=DATE_MESSAGE)],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        render_kw={"type": "date"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give the reason.")), Length(max=4000)],
    )


class HandoverForm(FlaskForm):
    to_unit = SelectField(
        _l("Unit that should answer"),
        coerce=_optional_id,
        validators=[InputRequired(message=_l("Choose a unit of the ward."))],
        invalid_choice_message=_l("Choose a unit of the ward."),
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give the reason.")), Length(max=4000)],
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.to_unit.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(str(unit.id), unit.name) for unit in units
        ]


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Note (needed when refusing)"), validators=[Length(max=4000)])
    accept = SubmitField(_l("Accept"))
    refuse = SubmitField(_l("Refuse"))


class ApproversForm(FlaskForm):
    organisers = SelectMultipleField(
        _l("Organisers who may approve written answers"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    save = SubmitField(_l("Save"))
