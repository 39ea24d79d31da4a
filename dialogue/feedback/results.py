"""Satisfaction as offices count it: (Rất hài lòng + Hài lòng) / responses, one decimal, half up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dialogue.dossier.figures import format_count, format_rate, percentage


@dataclass(frozen=True)
class Satisfaction:
    """Counts of one question's answers by level, best level first, and what they make."""

    # (level, count) pairs in the scale's order, best first.
    counts: tuple[tuple[object, int], ...]
    satisfied: int
    responses: int

    @property
    def rate(self) -> Decimal | None:
        return percentage(self.satisfied, self.responses)

    def rate_text(self, locale=None) -> str:
        return format_rate(self.rate, locale)

    def responses_text(self, locale=None) -> str:
        return format_count(self.responses, locale)

    def count(self, level) -> int:
        return dict(self.counts).get(level, 0)

    def share(self, level) -> Decimal | None:
        return percentage(self.count(level), self.responses)


def satisfaction(counts: dict, levels, *, is_satisfied) -> Satisfaction:
    """Satisfaction of ``counts`` ({level: n}) over ``levels`` (best first)."""
    ordered = tuple((level, counts.get(level, 0)) for level in levels)
    return Satisfaction(
        counts=ordered,
        satisfied=sum(n for level, n in ordered if is_satisfied(level)),
        responses=sum(n for _, n in ordered),
    )
