"""The survey's chart: one stacked horizontal bar per element, the five levels side by side.

Only geometry and words are made here; ``templates/feedback/_survey_chart.html`` draws them as
inline SVG (no script, no style attribute: the colours are classes of ``static/css/survey.css``,
which the page's Content-Security-Policy allows). Each bar carries its numbers in words for
screen readers, and the table beside the chart gives them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from dialogue.dossier.figures import format_count, format_rate
from dialogue.feedback.models import LikertLevel
from dialogue.feedback.results import Satisfaction

# The bar's own coordinates: 0..WIDTH across, HEIGHT high (the page stretches it to fit).
WIDTH = 100
HEIGHT = 10


@dataclass(frozen=True)
class Segment:
    level: LikertLevel
    count: int
    share: Decimal | None
    x: float
    width: float

    @property
    def css_class(self) -> str:
        return f"level-{self.level.value}"


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    result: Satisfaction
    segments: tuple[Segment, ...]
    # The bar in words: what a screen reader says for it.
    description: str

    @property
    def is_empty(self) -> bool:
        return not self.result.responses


def _level_text(level: LikertLevel, count: int, share: Decimal | None, locale) -> str:
    return _(
        "%(level)s: %(count)s (%(share)s)",
        level=level.title,
        count=format_count(count, locale),
        share=format_rate(share, locale),
    )


def bar_of(key: str, label: str, result: Satisfaction, *, locale=None) -> Bar:
    """The bar of one element (or of all of them pooled) from its counts by level."""
    segments = []
    x = 0.0
    for level, count in result.counts:
        width = WIDTH * count / result.responses if result.responses else 0.0
        segments.append(Segment(level, count, result.share(level), round(x, 4), round(width, 4)))
        x += width
    if result.responses:
        description = _(
            "%(label)s: satisfied %(rate)s of %(responses)s answers; %(levels)s.",
            label=label,
            rate=result.rate_text(locale),
            responses=result.responses_text(locale),
            levels="; ".join(
                _level_text(s.level, s.count, s.share, locale) for s in segments if s.count
            ),
        )
    else:
        description = _("%(label)s: no answers.", label=label)
    return Bar(key, label, result, tuple(segments), description)


def survey_bars(results, *, locale=None) -> list[Bar]:
    """One bar per element, in the survey's order, then the five pooled."""
    bars = [
        bar_of(element.value, str(element.title), result, locale=locale)
        for element, result in results.elements
    ]
    bars.append(bar_of("overall", _("All five elements"), results.overall, locale=locale))
    return bars
