"""The comparison's chart: the wards by the measure they are ranked by, as the table lists them."""

from __future__ import annotations

from flask_babel import gettext as _

from dialogue.city.comparison import Comparison
from dialogue.stats import charts


def ranking(comparison: Comparison, locale) -> charts.Chart | None:
    """One bar a ward, in the table's order; none when no ward held a conference."""
    lines = [line for line in comparison.lines if not line.held_none]
    if not lines:
        return None
    measure = comparison.measure
    title = _("Wards by %(measure)s", measure=str(measure.label).lower())
    labels = [line.ward.display_name for line in lines]
    series = [(str(measure.label), [line.value(measure.key) for line in lines])]
    if measure.is_rate:
        return charts.rates(title, labels, series, locale=locale)
    return charts.bars(title, labels, series, locale=locale)
