"""The period of the ward's figures: a year, a half-year, or from one day to another."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from dialogue.stats.figures import Period, chosen_period

# Dialogue conferences on administrative reform began in the 2010s; nothing is older than this.
FIRST_YEAR = 2000
# A custom period longer than this says more as several years.
MAX_DAYS = 366 * 10


def last_year(today: date) -> int:
    return today.year + 1


class PeriodForm(FlaskForm):
    """Read from the query string: the page is a GET, bookmarkable, and changes nothing."""

    class Meta:
        csrf = False

    kind = RadioField(
        _l("Period"),
        choices=[
            SelectChoice("year", _l("A year")),
            SelectChoice("half", _l("A half-year")),
            SelectChoice("custom", _l("From one date to another")),
        ],
        default="year",
    )
    year = IntegerField(_l("Year"), validators=[Optional()])
    half = SelectField(
        _l("Half-year"),
        choices=[
            SelectChoice("1", _l("First six months")),
            SelectChoice("2", _l("Last six months")),
        ],
        default="1",
    )
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.year.validators = [
            Optional(strip_whitespace=True),
            NumberRange(
                min=FIRST_YEAR,
                max=last_year(today),
                message=_l(
                    "Choose a year from %(first)d to %(last)d.",
                    first=FIRST_YEAR,
                    last=last_year(today),
                ),
            ),
        ]
        if self.year.data is None and not self.year.raw_data:
            self.year.data = today.year

    def _check_day(self, field) -> None:
        if field.data is not None and not FIRST_YEAR <= field.data.year <= last_year(self.today):
            raise ValidationError(
                _l(
                    "Choose a date from %(first)d to %(last)d.",
                    first=FIRST_YEAR,
                    last=last_year(self.today),
                )
            )

    def validate_start(self, field) -> None:
        self._check_day(field)

    def validate_end(self, field) -> None:
        self._check_day(field)

    def validate(self, extra_validators=None) -> bool:
        # An empty date stops its field's own validators (it is optional for a year): the
        # custom period's needs are checked here, once every field has its value.
        valid = super().validate(extra_validators)
        if self.kind.data in ("year", "half"):
            if self.year.data is None and not self.year.errors:
                self.year.errors = [_l("Enter a year, for example %(year)d.", year=self.today.year)]
                valid = False
            return valid
        if self.kind.data != "custom":
            return valid
        for field, message in (
            (self.start, _l("Enter the first day of the period.")),
            (self.end, _l("Enter the last day of the period.")),
        ):
            if field.data is None and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        first, last = self.start.data, self.end.data
        if valid and first is not None and last is not None:
            if last < first:
                self.end.errors = [_l("The last day comes before the first day.")]
                valid = False
            elif (last - first).days + 1 > MAX_DAYS:
                self.end.errors = [_l("Choose a period of at most ten years.")]
                valid = False
        return valid

    def query(self) -> dict[str, str]:
        """The query string that chooses this period again: the exports' links keep it."""
        if self.kind.data == "half":
            return {"kind": "half", "year": str(self.year.data), "half": self.half.data}
        if self.kind.data == "custom":
            return {
                "kind": "custom",
                "start": self.start.data.isoformat(),
                "end": self.end.data.isoformat(),
            }
        return {"kind": "year", "year": str(self.year.data)}

    def period(self) -> Period:
        """The period chosen; call after ``validate``."""
        return chosen_period(
            self.kind.data,
            year=self.year.data,
            half=int(self.half.data),
            start=self.start.data,
            end=self.end.data,
        )
