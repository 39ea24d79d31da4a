"""Forms of the dossier figures: the totals of the period, one line of a breakdown."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from dialogue.core.text import normalize_text
from dialogue.dossier.figures import Counts
from dialogue.dossier.models import DossierChannel
from dialogue.dossier.operations import LineData, ReportData

# "2685", or grouped by thousands as people write it: "2.685", "2,685", "2 685".
GROUPED = re.compile(r"\d{1,3}(?:([.,\s\u00a0])\d{3})(?:\1\d{3})*")
NOT_NEGATIVE = _l("Enter a whole number, 0 or more.")
MISSING = _l("Enter a number; 0 if there are none.")
TOO_LONG = _l("At most %(max)d characters.")
NO_AREA = 0


def _channel_value(value) -> str:
    return "" if value is None else str(value)


class CountField(Field):
    """A count: a whole number, 0 or more, that may be typed with thousands separators."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        sign, digits = (-1, text[1:].strip()) if text.startswith("-") else (1, text)
        if not (digits.isascii() and digits.isdigit()) and not GROUPED.fullmatch(digits):
            raise ValueError(NOT_NEGATIVE)
        # A negative number is read, so that the message says what is wrong with it.
        self.data = sign * int(re.sub(r"\D", "", digits))


def _not_negative(form, field) -> None:
    if field.data is not None and field.data < 0:
        raise ValidationError(NOT_NEGATIVE)


def _count(label, *, required: bool = True, description=None) -> CountField:
    presence = InputRequired(MISSING) if required else Optional()
    return CountField(
        label,
        validators=[presence, _not_negative],
        description=description,
    )


class CountsForm(FlaskForm):
    carried_over = _count(_l("Carried over unresolved from earlier periods"))
    received_online = _count(_l("Received online (dịch vụ công)"))
    received_desk = _count(_l("Received at the desk or by post"))
    resolved_early = _count(
        _l("Resolved before the deadline"),
        required=False,
        description=_l(
            "Leave empty if the report does not count them apart: then enter all the dossiers "
            "resolved in time under “on time”."
        ),
    )
    resolved_on_time = _count(_l("Resolved on the deadline day"))
    resolved_late = _count(_l("Resolved late"))
    pending_within = _count(_l("In progress at the cut-off, within the deadline"))
    pending_overdue = _count(_l("In progress at the cut-off, past the deadline"))
    returned = _count(
        _l("Returned, withdrawn or refused"),
        required=False,
        description=_l("Leave empty if the ward does not track them."),
    )

    def counts(self) -> Counts:
        return Counts(**{name: getattr(self, name).data for name in Counts.__dataclass_fields__})


class DossierReportForm(CountsForm):
    cutoff_date = DateField(_l("Figures as of"), validators=[Optional()])
    early_count = _count(_l("Resolved early by the ward's measure"), required=False)
    early_base = _count(_l("Out of how many dossiers (the base)"), required=False)
    early_measure = StringField(
        _l("The ward's measure of early"),
        validators=[Length(max=200, message=TOO_LONG)],
        filters=[normalize_text],
        description=_l("For example: trước hạn 4 giờ trở lên."),
    )
    early_base_definition = StringField(
        _l("What the base counts"),
        validators=[Length(max=500, message=TOO_LONG)],
        filters=[normalize_text],
        description=_l("For example: hồ sơ có phiếu hẹn và hồ sơ dịch vụ công."),
    )
    other_results = TextAreaField(
        _l("Other results of the period"),
        validators=[Length(max=4000, message=TOO_LONG)],
        description=_l(
            "Optional, one a line, as the report words them. For example: Trả 45 kết quả đăng ký "
            "khai sinh tại nhà cho công dân."
        ),
        render_kw={"rows": 4},
    )

    def to_data(self) -> ReportData:
        return ReportData(
            counts=self.counts(),
            early_count=self.early_count.data,
            early_base=self.early_base.data,
            early_measure=self.early_measure.data or "",
            early_base_definition=self.early_base_definition.data or "",
            cutoff_date=self.cutoff_date.data,
            other_results=self.other_results.data or "",
        )


class DossierLineForm(CountsForm):
    procedure_area_id = SelectField(_l("Procedure area"), coerce=int, default=NO_AREA)
    channel = SelectField(_l("Channel"), coerce=_channel_value, default="")

    def __init__(self, *args, areas, locale: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure_area_id.choices = [(NO_AREA, _l("All areas"))] + [
            (area.id, area.name_for(locale)) for area in areas
        ]
        self.channel.choices = [("", _l("Both channels"))] + [
            (channel.value, channel.title) for channel in DossierChannel
        ]

    def to_data(self) -> LineData:
        return LineData(
            counts=self.counts(),
            procedure_area_id=self.procedure_area_id.data or None,
            channel=DossierChannel(self.channel.data) if self.channel.data else None,
        )
