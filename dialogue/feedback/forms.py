"""Forms of the conference survey: residents' answer, a paper form's tally line, the settings."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from dialogue.core.forms import strip
from dialogue.feedback.models import MAX_COMMENT_LENGTH, VISITS_CHOICES, SurveyElement
from dialogue.feedback.survey import (
    ELEMENTS,
    MAX_QUESTION_LENGTH,
    QUESTION_CODES,
    SCORES,
    AnswerData,
    SettingsData,
    TallyError,
    empty_message,
    parse_tally,
    score_message,
    visits_message,
)

MAX_PAPER_NUMBER = 100_000


class ChoiceNumberField(Field):
    """The answer of a radio group: one of ``allowed``, or nothing (the question left blank).

    What came in is kept as typed (``raw``), so that a value no radio offers is refused
    with a message rather than silently dropped.
    """

    # Rendered by the template as radio buttons; this widget only serves ``field()`` calls.
    widget = HiddenInput()

    def __init__(self, label=None, validators=None, *, allowed, message, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.allowed = tuple(allowed)
        self.message = message
        self.raw = ""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0].strip() if valuelist and valuelist[0] else ""
        self.data = None
        if self.raw:
            try:
                value = int(self.raw)
            except ValueError:
                return
            if value in self.allowed:
                self.data = value

    def pre_validate(self, form):
        if self.raw and self.data is None:
            message = self.message() if callable(self.message) else self.message
            raise ValidationError(str(message))

    def _value(self):
        return "" if self.data is None else str(self.data)


def _score_field(element: SurveyElement) -> ChoiceNumberField:
    return ChoiceNumberField(element.title, allowed=SCORES, message=score_message)


class SurveyAnswerForm(FlaskForm):
    """A resident's answer. The page carries no per-visitor token: cross-site posts are refused
    by their headers (``feedback.device.posted_from_another_site``)."""

    class Meta:
        csrf = False

    access = _score_field(SurveyElement.ACCESS)
    procedures = _score_field(SurveyElement.PROCEDURES)
    officials = _score_field(SurveyElement.OFFICIALS)
    results = _score_field(SurveyElement.RESULTS)
    feedback = _score_field(SurveyElement.FEEDBACK)
    visits = ChoiceNumberField(
        _l("Number of visits"), allowed=VISITS_CHOICES, message=visits_message
    )
    comment = TextAreaField(
        _l("Other comments"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_COMMENT_LENGTH)],
    )

    def score_fields(self):
        return [(element, self[element.value]) for element in ELEMENTS]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.to_data().is_empty:
            self.form_errors.append(empty_message())
            return False
        return valid

    def to_data(self) -> AnswerData:
        return AnswerData(
            scores={element: self[element.value].data for element in ELEMENTS},
            visits=self.visits.data,
            comment=self.comment.data or "",
        )

    @classmethod
    def prefilled(cls, response) -> SurveyAnswerForm:
        """The form with a device's earlier answer in it."""
        form = cls(formdata=None)
        for element in ELEMENTS:
            form[element.value].data = response.score(element)
        form.visits.data = response.visits
        form.comment.data = response.comment
        return form


class PaperEntryForm(FlaskForm):
    """One paper form typed in as a line: the five scores and the visits, then a comment."""

    tally = StringField(_l("Scores and visits"), filters=[strip])
    comment = StringField(
        _l("Comment written on the form"),
        filters=[strip],
        validators=[Optional(), Length(max=MAX_COMMENT_LENGTH)],
    )
    paper_number = IntegerField(
        _l("Form No."),
        validators=[Optional(), NumberRange(min=1, max=MAX_PAPER_NUMBER)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed = None

    def validate_tally(self, field):
        try:
            self.parsed = parse_tally(field.data or "")
        except TallyError as error:
            raise ValidationError(error.message) from None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.to_data().is_empty:
            self.tally.errors = [*self.tally.errors, empty_message()]
            return False
        return valid

    def to_data(self) -> AnswerData:
        scores, visits = self.parsed
        return AnswerData(scores=scores, visits=visits, comment=self.comment.data or "")


def _question_field(label) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[strip],
        validators=[DataRequired(), Length(max=MAX_QUESTION_LENGTH)],
    )


class SurveySettingsForm(FlaskForm):
    """The survey's last day and, until the first answer, its wording."""

    closes_on = DateField(_l("Last day of answers"), validators=[DataRequired()])
    access = _question_field(SurveyElement.ACCESS.title)
    procedures = _question_field(SurveyElement.PROCEDURES.title)
    officials = _question_field(SurveyElement.OFFICIALS.title)
    results = _question_field(SurveyElement.RESULTS.title)
    feedback = _question_field(SurveyElement.FEEDBACK.title)
    visits = _question_field(_l("Number of visits"))
    comment = _question_field(_l("Other comments"))

    def __init__(self, *args, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            # Shown, not sent (disabled): the wording stays as it is.
            for field in self.question_fields():
                field.validators = ()
                field.flags.required = False

    def question_fields(self):
        return [self[code] for code in QUESTION_CODES]

    def to_data(self) -> SettingsData:
        questions = None if self.locked else {code: self[code].data for code in QUESTION_CODES}
        return SettingsData(closes_on=self.closes_on.data, questions=questions)

    @classmethod
    def of(cls, survey, *, locked: bool) -> SurveySettingsForm:
        values: dict[str, str | date] = {"closes_on": survey.closes_on}
        values.update({code: survey.question(code) for code in QUESTION_CODES})
        return cls(data=values, locked=locked)
