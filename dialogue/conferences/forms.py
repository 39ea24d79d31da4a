"""Forms of conference planning: the plan, an agenda item, moving items, announcing, cancelling."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dialogue.conferences.models import NOTICE_DAYS
from dialogue.conferences.operations import (
    AgendaItemData,
    ConferencePlan,
    HeldDates,
    ward_datetime,
)
from dialogue.core.dates import to_local
from dialogue.core.text import normalize_text

NO_CHOICE = 0


def _optional_int(value) -> int:
    if value in (None, "", "None"):
        return NO_CHOICE
    return int(value)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (the template renders them in a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _person_choices(people, empty_label) -> list[SelectChoice]:
    return [SelectChoice(NO_CHOICE, empty_label)] + [
        SelectChoice(person.id, person.label) for person in people
    ]


class ConferenceForm(FlaskForm):
    title = StringField(
        _l("Conference title"),
        validators=[DataRequired(), Length(max=255)],
        filters=[normalize_text],
        description=_l(
            "For example: Hội nghị đối thoại về cải cách thủ tục hành chính 6 tháng đầu năm 2020."
        ),
    )
    subject = TextAreaField(
        _l("Subject line (trích yếu)"),
        validators=[Length(max=2000)],
        description=_l("One sentence that says what the conference is about."),
    )
    plan_number = StringField(
        _l("Plan number"),
        validators=[Length(max=60)],
        filters=[normalize_text],
        description=_l("The plan it carries out, for example 39/KH-UBND."),
    )
    plan_date = DateField(
        _l("Plan date"),
        validators=[Optional()],
        format="%Y-%m-%d",
    )
    reporting_period = StringField(
        _l("Reporting period"),
        validators=[Length(max=120)],
        filters=[normalize_text],
        description=_l("For example: 6 tháng đầu năm 2020."),
    )
    start_date = DateField(
        _l("Date"),
        validators=[InputRequired(_l("Enter the date."))],
        format="%Y-%m-%d",
    )
    start_time = TimeField(
        _l("Start time"),
        validators=[InputRequired(_l("Enter the start time."))],
        format="%H:%M",
    )
    end_time = TimeField(
        _l("Planned end time"),
        validators=[Optional()],
        format="%H:%M",
    )
    venue = StringField(
        _l("Venue"),
        validators=[DataRequired(), Length(max=255)],
        filters=[normalize_text],
        description=_l("For example: Hội trường UBND phường."),
    )
    chair_id = SelectField(
        _l("Chair"),
        coerce=_optional_int,
        default=NO_CHOICE,
        invalid_choice_message=_l("Choose a person of the ward's directory."),
    )
    cochair_ids = CheckboxesField(
        _l("Co-chairs"),
        coerce=int,
        invalid_choice_message=_l("Choose people of the ward's directory."),
    )
    reporter_id = SelectField(
        _l("Reporter"),
        coerce=_optional_int,
        default=NO_CHOICE,
        invalid_choice_message=_l("Choose a person of the ward's directory."),
        description=_l("Who presents the report on administrative procedures."),
    )
    secretary_ids = CheckboxesField(
        _l("Secretaries"),
        coerce=int,
        invalid_choice_message=_l("Choose among the ward's secretaries and organisers."),
    )

    def __init__(self, *args, people, staff, **kwargs):
        """``people``: whom the pickers offer; ``staff``: who may be a secretary."""
        super().__init__(*args, **kwargs)
        self.chair_id.choices = _person_choices(people, _l("— not chosen yet —"))
        self.reporter_id.choices = _person_choices(people, _l("— not chosen yet —"))
        self.cochair_ids.choices = [SelectChoice(person.id, person.label) for person in people]
        self.secretary_ids.choices = [SelectChoice(user.id, user.display_name) for user in staff]

    def to_plan(self, ward) -> ConferencePlan:
        start = ward_datetime(ward, self.start_date.data, self.start_time.data)
        end = (
            ward_datetime(ward, self.start_date.data, self.end_time.data)
            if self.end_time.data
            else None
        )
        return ConferencePlan(
            title=self.title.data,
            subject=(self.subject.data or "").strip(),
            plan_number=self.plan_number.data or "",
            plan_date=self.plan_date.data,
            reporting_period=self.reporting_period.data or "",
            start_dt=start,
            planned_end_dt=end,
            venue=self.venue.data or "",
            chair_id=self.chair_id.data or None,
            cochair_ids=tuple(self.cochair_ids.data or ()),
            reporter_id=self.reporter_id.data or None,
            secretary_ids=tuple(self.secretary_ids.data or ()),
        )

    @staticmethod
    def initial_data(conference) -> dict:
        """The form's values for an existing conference, on the ward's wall clock."""
        start = conference.start_local
        end = conference.planned_end_local
        return {
            "title": conference.title,
            "subject": conference.subject,
            "plan_number": conference.plan_number,
            "plan_date": conference.plan_date,
            "reporting_period": conference.reporting_period,
            "start_date": start.date(),
            "start_time": start.time().replace(second=0, microsecond=0),
            "end_time": end.time().replace(second=0, microsecond=0) if end else None,
            "venue": conference.venue,
            "chair_id": conference.chair_id or NO_CHOICE,
            "cochair_ids": [person.id for person in conference.cochairs],
            "reporter_id": conference.reporter_id or NO_CHOICE,
            "secretary_ids": [user.id for user in conference.secretaries],
        }


class AgendaItemForm(FlaskForm):
    title = StringField(
        _l("Agenda item"),
        validators=[DataRequired(), Length(max=255)],
        filters=[normalize_text],
        description=_l("For example: Báo cáo kết quả giải quyết thủ tục hành chính."),
    )
    presenter = StringField(
        _l("Presented by"),
        validators=[Length(max=200)],
        filters=[normalize_text],
        description=_l("Optional. For example: Phó Chủ tịch UBND phường."),
    )
    planned_minutes = IntegerField(
        _l("Planned duration (minutes)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=600, message=_l("Give a number of minutes from 1 to 600.")),
        ],
    )

    def to_data(self) -> AgendaItemData:
        return AgendaItemData(
            title=self.title.data or "",
            presenter=self.presenter.data or "",
            planned_minutes=self.planned_minutes.data,
        )


class MoveAgendaItemForm(FlaskForm):
    direction = SelectField(choices=[SelectChoice("up"), SelectChoice("down")])

    @property
    def step(self) -> int:
        return -1 if self.direction.data == "up" else 1


class ReorderAgendaForm(FlaskForm):
    """The new order of the whole agenda, sent by the drag-and-drop script."""

    order = HiddenField(validators=[DataRequired()])

    def item_ids(self) -> list[int] | None:
        try:
            return [int(part) for part in self.order.data.split(",") if part.strip()]
        except ValueError:
            return None


class AnnounceForm(FlaskForm):
    confirm_short_notice = BooleanField(
        _l(
            "I confirm announcing with less than the legal notice of %(days)s days",
            days=NOTICE_DAYS,
        )
    )
    short_notice_reason = TextAreaField(
        _l("Reason for the short notice"),
        validators=[Length(max=2000)],
        description=_l("Kept on the conference and in the audit log."),
    )


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for cancelling"),
        validators=[DataRequired(_l("Say why the conference is cancelled.")), Length(max=2000)],
        description=_l("Residents who saw the notice will read it on the public page."),
    )


class StartForm(FlaskForm):
    confirm_early = BooleanField(_l("Yes, start it now, before the planned time"))


class RecordForm(ConferenceForm):
    """A conference already held, typed in from its paper file: the end and the two dates."""

    end_time = TimeField(
        _l("End time"),
        validators=[InputRequired(_l("Enter the time the conference ended."))],
        format="%H:%M",
    )
    notice_date = DateField(
        _l("Day the notice was posted"),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("From the paper file, if known: shows whether the 7-day rule was met."),
    )
    results_posted_on = DateField(
        _l("Day the results were made public"),
        validators=[Optional()],
        format="%Y-%m-%d",
        description=_l("From the paper file, if known: shows whether the 10-day rule was met."),
    )

    def to_record(self) -> HeldDates:
        return HeldDates(
            notice_on=self.notice_date.data, results_posted_on=self.results_posted_on.data
        )

    @classmethod
    def initial_data(cls, conference) -> dict:
        data = ConferenceForm.initial_data(conference)
        announced = conference.announced_dt
        data["notice_date"] = (
            to_local(announced, conference.ward.timezone).date() if announced else None
        )
        data["results_posted_on"] = conference.results_posted_on
        return data
