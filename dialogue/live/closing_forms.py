"""Forms of closing: the end time, the chair's conclusion and its rows of tasks.

Rows are added and removed by submitting the form with one of two buttons, so the page
works without JavaScript; the form then comes back with what was typed, one row more or less.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from dialogue.conferences.models import Conference
from dialogue.conferences.operations import ward_datetime
from dialogue.core.dates import to_local
from dialogue.core.db import utcnow
from dialogue.core.forms import show_error
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.live.closing import (
    MAX_CONCLUSION_LENGTH,
    MAX_TASK_LENGTH,
    MAX_TASKS,
    ConclusionData,
    TaskData,
)
from dialogue.wards.models import Unit

NO_CHOICE = 0
ADD_ROW = "add_task"
REMOVE_ROW = "remove_task"
# Blank rows offered on a fresh close page; more come with "Add a task".
BLANK_ROWS = 3


def _optional_int(value) -> int:
    try:
        return int(value) if value not in (None, "", "None") else NO_CHOICE
    except (TypeError, ValueError):
        return NO_CHOICE


def _optional_id(value) -> int | None:
    number = _optional_int(value)
    return number if number > 0 else None


class TaskRowForm(Form):
    """One row of the tasks: what, which unit, by when. An empty row is ignored."""

    task_id = HiddenField(filters=[_optional_id])
    content = TextAreaField(
        _l("Task"),
        validators=[Length(max=MAX_TASK_LENGTH)],
        render_kw={"rows": 2},
    )
    unit_id = SelectField(
        _l("Responsible unit"),
        coerce=_optional_int,
        default=NO_CHOICE,
        invalid_choice_message=_l("Choose one of the ward's units."),
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()], format="%Y-%m-%d")

    @property
    def is_blank(self) -> bool:
        typed_deadline = any((value or "").strip() for value in self.deadline.raw_data or ())
        return (
            not (self.content.data or "").strip() and not self.unit_id.data and not typed_deadline
        )

    def to_data(self) -> TaskData:
        return TaskData(
            content=self.content.data or "",
            unit_id=self.unit_id.data or None,
            deadline=self.deadline.data,
            task_id=self.task_id.data,
        )


def unit_choices(units: Sequence[Unit]) -> list[SelectChoice]:
    return [SelectChoice(NO_CHOICE, _l("— choose a unit —"))] + [
        SelectChoice(unit.id, unit.name) for unit in units
    ]


class ConclusionForm(FlaskForm):
    """The end, the conclusion and the tasks: corrected after closing."""

    end_date = DateField(
        _l("End date"), validators=[InputRequired(_l("Enter the date."))], format="%Y-%m-%d"
    )
    end_time = TimeField(
        _l("End time"), validators=[InputRequired(_l("Enter the end time."))], format="%H:%M"
    )
    conclusion = TextAreaField(
        _l("The chair's conclusion"),
        validators=[
            DataRequired(_l("Write the chair's conclusion.")),
            Length(max=MAX_CONCLUSION_LENGTH),
        ],
        description=_l(
            "Plain text, one paragraph a line, as the chair concluded; the tasks go below."
        ),
        render_kw={"rows": 10},
    )
    tasks = FieldList(FormField(TaskRowForm), max_entries=MAX_TASKS)

    def __init__(self, *args, units: Sequence[Unit], **kwargs):
        """``units``: the units a task may be given to (the ward's)."""
        super().__init__(*args, **kwargs)
        self._choices = unit_choices(units)
        for entry in self.tasks.entries:
            entry.form.unit_id.choices = self._choices
        self._saved_rows: list[TaskRowForm] = []

    @classmethod
    def initial_data(cls, conference: Conference, *, blank_rows: int = 1) -> dict:
        """The form's values for ``conference``: its end (or now), conclusion and tasks.

        A conference recorded afterwards ended long ago: its planned end is the better guess.
        """
        end_dt = conference.end_dt
        if end_dt is None and conference.is_recorded_afterwards:
            end_dt = conference.planned_end_dt
        end = to_local(end_dt or utcnow(), conference.ward.timezone)
        rows = [
            {
                "task_id": task.id,
                "content": task.content,
                "unit_id": task.unit_id or NO_CHOICE,
                "deadline": task.deadline,
            }
            for task in conference.conclusion_tasks
        ]
        rows += [{} for _ in range(blank_rows)]
        return {
            "end_date": end.date(),
            "end_time": end.time().replace(second=0, microsecond=0),
            "conclusion": conference.conclusion,
            "tasks": rows,
        }

    # -- rows without JavaScript --------------------------------------------------------------

    def change_rows(self, formdata) -> bool:
        """Add or remove a row when one of the row buttons sent the form; tell whether it did."""
        if ADD_ROW in formdata:
            if len(self.tasks.entries) < MAX_TASKS:
                row = self.tasks.append_entry().form
                row.unit_id.choices = self._choices
                # The page comes back with the cursor in the new row.
                row.content.render_kw = {**(row.content.render_kw or {}), "autofocus": True}
            return True
        if REMOVE_ROW in formdata:
            index = _optional_int(formdata.get(REMOVE_ROW))
            if 0 <= index < len(self.tasks.entries):
                self.tasks.pop_entry(index)
            if not self.tasks.entries:
                self.tasks.append_entry()
                self.tasks.entries[-1].form.unit_id.choices = self._choices
            return True
        return False

    @property
    def can_add_row(self) -> bool:
        return len(self.tasks.entries) < MAX_TASKS

    # -- to the operation and back ------------------------------------------------------------

    def end_dt(self, conference: Conference) -> datetime:
        return ward_datetime(conference.ward, self.end_date.data, self.end_time.data)

    def to_data(self, conference: Conference) -> ConclusionData:
        """What was typed, empty rows left out; errors of the operation find their row."""
        self._saved_rows = [entry.form for entry in self.tasks.entries if not entry.form.is_blank]
        return ConclusionData(
            end_dt=self.end_dt(conference),
            conclusion=self.conclusion.data or "",
            tasks=tuple(row.to_data() for row in self._saved_rows),
        )

    def show_error(self, error: DialogueError) -> None:
        """Put the operation's message beside its field, a task's beside its row."""
        field = self._task_field(error.field or "")
        if field is None:
            show_error(self, error)
            return
        db.session.rollback()
        field.errors = [*field.errors, error.message]
        # The list keeps its rows' errors from validation: refresh them so the form counts this one.
        self.tasks.errors = [entry.errors for entry in self.tasks.entries]

    def _task_field(self, name: str):
        """The field of a saved row that an error names, as "tasks-<row>-<field>"."""
        parts = name.split("-", 2)
        if len(parts) != 3 or parts[0] != "tasks" or not parts[1].isdigit():
            return None
        row = int(parts[1])
        if row >= len(self._saved_rows):
            return None
        return self._saved_rows[row]._fields.get(parts[2])


class CloseForm(ConclusionForm):
    """Closing the session: the same, and the confirmation when turns wait for an answer."""

    confirm_pending = BooleanField(
        _l("Close anyway: these turns stay without an answer in the record")
    )
