"""The comparison's choices (a GET), and the administrator's forms for provinces."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from dialogue.city.comparison import DEFAULT_MEASURE, MEASURES
from dialogue.core.forms import strip
from dialogue.stats.forms import PeriodForm


class CompareForm(PeriodForm):
    """The period, and the measure the wards are ranked by."""

    measure = SelectField(
        _l("Rank the wards by"),
        choices=[SelectChoice(measure.key, measure.label) for measure in MEASURES],
        default=DEFAULT_MEASURE,
        invalid_choice_message=_l("Choose a measure from the list."),
    )


class ProvinceForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=120)],
        filters=[strip],
        description=_l("As the province writes it: “Thành phố Hà Nội”, “Tỉnh Bắc Ninh”."),
    )


class ProvinceWardsForm(ProvinceForm):
    ward_ids = SelectMultipleField(
        _l("Wards and communes of the province"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        invalid_choice_message=_l("Choose wards from the list."),
        description=_l(
            "Ticked wards are compared by the province's officers. A ward belongs to one "
            "province at most: ticking it here takes it from another."
        ),
    )

    def __init__(self, *args, province, wards, **kwargs):
        kwargs.setdefault("ward_ids", [ward.id for ward in province.wards])
        super().__init__(*args, obj=province, **kwargs)
        self.ward_ids.choices = [
            (
                ward.id,
                ward.display_name
                if ward.province_record in (None, province)
                else f"{ward.display_name} ({ward.province_record.name})",
            )
            for ward in wards
        ]
