"""The comparison's chart: the wards by the measure they are ranked by, as the table lists them."""

from __future__ import annotations

from functools import lru_cache

from flask_babel import gettext as _

from dialogue.city.comparison import Comparison
from dialogue.stats import charts


def ranking(comparison: Comparison, locale) -> charts.Chart | None:
    """One bar a ward, in the table's order; none when no ward held a conference."""
    lines = [line for line in comparison.lines if not line.held_none]
    if not lines:
        return None
    measure = comparison.measure
    return _drawn(
        _("Wards by %(measure)s", measure=str(measure.label).lower()),
        tuple(line.ward.display_name for line in lines),
        str(measure.label),
        tuple(line.value(measure.key) for line in lines),
        measure.is_rate,
        str(locale),
    )


# Drawing a province's hundred bars takes longer than counting them, and the same figures
# are asked for again and again: a chart is a pure function of what it shows, kept so.
@lru_cache(maxsize=32)
def _drawn(title, labels, name, values, is_rate, locale) -> charts.Chart:
    if is_rate:
        return charts.rates(title, list(labels), [(name, list(values))], locale=locale)
    return charts.bars(title, list(labels), [(name, list(values))], locale=locale)
