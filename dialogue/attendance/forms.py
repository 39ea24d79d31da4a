"""Forms of the check-in desk: a scanned code, a name search, a mark, a walk-in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from dialogue.attendance.models import AttendanceStatus
from dialogue.attendance.operations import MAX_SCANNED_LENGTH, MAX_TALLY, TallyData, WalkInData
from dialogue.core.text import normalize_text

NO_CHOICE = 0


class CodeForm(FlaskForm):
    """The box a USB scanner types the invitation's code into, followed by Enter."""

    token = StringField(
        _l("Invitation code"),
        validators=[
            DataRequired(_l("Scan the QR code on the invitation, or type its code.")),
            Length(max=MAX_SCANNED_LENGTH),
        ],
    )


class SearchForm(FlaskForm):
    """The name search of the desk (a GET form)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Name, title or organisation"), validators=[Optional(), Length(max=100)])


class MarkForm(FlaskForm):
    """Mark someone present or excused; the button pressed says which."""

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(AttendanceStatus.PRESENT.value, _l("Present")),
            SelectChoice(AttendanceStatus.EXCUSED.value, _l("Excused")),
        ],
        default=AttendanceStatus.PRESENT.value,
    )


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token: check in from the directory, undo."""


class WalkInForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter the full name.")), Length(max=120)],
        filters=[normalize_text],
    )
    residential_group_id = SelectField(_l("Residential group"), coerce=int, default=NO_CHOICE)
    organisation = StringField(
        _l("or organisation"), validators=[Length(max=200)], filters=[normalize_text]
    )
    delegate_category_id = SelectField(_l("Delegate category"), coerce=int, default=NO_CHOICE)
    same_name_confirmed = BooleanField(
        _l("This is another person with the same name: add them anyway")
    )

    def __init__(self, *args, groups, categories, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.residential_group_id.choices = [SelectChoice(NO_CHOICE, _l("None"))] + [
            SelectChoice(group.id, group.name) for group in groups
        ]
        self.delegate_category_id.choices = [SelectChoice(NO_CHOICE, _l("None"))] + [
            SelectChoice(category.id, category.name_for(locale)) for category in categories
        ]

    def to_data(self) -> WalkInData:
        return WalkInData(
            full_name=self.full_name.data or "",
            residential_group_id=self.residential_group_id.data or None,
            organisation=self.organisation.data or "",
            delegate_category_id=self.delegate_category_id.data or None,
            same_name_confirmed=bool(self.same_name_confirmed.data),
        )


class TallyRowForm(Form):
    """One group's or category's head count; the row's target comes from the page, hidden."""

    target_id = HiddenField()
    invited = IntegerField(
        _l("Invited"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_TALLY, message=_l("Give a number from 0.")),
        ],
    )
    present = IntegerField(
        _l("Present"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_TALLY, message=_l("Give a number from 0.")),
        ],
    )

    def counts(self) -> tuple[int, int]:
        return self.invited.data or 0, self.present.data or 0


class TallyForm(FlaskForm):
    """Head counts from the paper sign-in sheets, by residential group and by delegate category."""

    groups = FieldList(FormField(TallyRowForm))
    categories = FieldList(FormField(TallyRowForm))

    @staticmethod
    def initial_data(rows_by_group, rows_by_category) -> dict:
        """Prefill one row per group and per category with the counts already entered."""
        return {
            "groups": [
                {"target_id": target_id, "invited": invited or None, "present": present or None}
                for target_id, invited, present in rows_by_group
            ],
            "categories": [
                {"target_id": target_id, "invited": invited or None, "present": present or None}
                for target_id, invited, present in rows_by_category
            ],
        }

    def to_data(self) -> TallyData:
        def collect(rows) -> dict[int, tuple[int, int]]:
            values = {}
            for row in rows:
                try:
                    target_id = int(row.form.target_id.data)
                except (TypeError, ValueError):
                    continue
                values[target_id] = row.form.counts()
            return values

        return TallyData(by_group=collect(self.groups), by_category=collect(self.categories))
