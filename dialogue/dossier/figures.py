"""The one-stop desk's dossier figures: totals, rates and the balance check, as pure functions.

Symbols follow ``shared/domain/dossier-kpis.md``: R_prev, R_on, R_off, S_early, S_ontime,
S_late, P_in, P_over, X. Rates are percentages with one decimal, rounded half up, and None
when their denominator is 0. Nothing here touches the database except ``figures_for``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import sqlalchemy as sa
from babel.numbers import format_decimal
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ONE_DECIMAL = Decimal("0.1")
DEFAULT_LOCALE = "vi"


# -- numbers as people write them -----------------------------------------------------------------


def _locale(locale) -> str:
    if locale:
        return str(locale)
    if has_request_context():
        current = get_locale()
        if current is not None:
            return str(current)
    return DEFAULT_LOCALE


def format_count(value: int | None, locale=None) -> str:
    """Write a count with the locale's thousands separator: "2.685" in Vietnamese."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0", locale=_locale(locale))


def format_rate(value: Decimal | None, locale=None) -> str:
    """Write a percentage with one decimal: "52,8%" in Vietnamese, "52.8%" in English."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.0", locale=_locale(locale)) + "%"


def percentage(numerator: int, denominator: int) -> Decimal | None:
    """Return numerator / denominator in per cent, one decimal, half up; None if it cannot be."""
    if not denominator:
        return None
    with localcontext() as context:
        # Enough digits that the only rounding is the one we ask for.
        context.prec = 50
        exact = Decimal(numerator) * 100 / Decimal(denominator)
        return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


# -- the counts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """The raw counts of one period, for the whole ward or one line of a breakdown."""

    carried_over: int = 0  # R_prev
    received_online: int = 0  # R_on
    received_desk: int = 0  # R_off
    resolved_early: int | None = None  # S_early; None: counted with the on-time ones
    resolved_on_time: int = 0  # S_ontime (S_early included when that is None)
    resolved_late: int = 0  # S_late
    pending_within: int = 0  # P_in
    pending_overdue: int = 0  # P_over
    returned: int | None = None  # X; None: not tracked

    @property
    def received(self) -> int:
        """R_new: the dossiers received in the period."""
        return self.received_online + self.received_desk

    @property
    def total(self) -> int:
        """R: everything there was to handle."""
        return self.carried_over + self.received

    @property
    def resolved_in_time(self) -> int:
        """S_early + S_ontime."""
        return (self.resolved_early or 0) + self.resolved_on_time

    @property
    def resolved(self) -> int:
        """S: everything resolved."""
        return self.resolved_in_time + self.resolved_late

    @property
    def pending(self) -> int:
        return self.pending_within + self.pending_overdue

    @property
    def accounted(self) -> int:
        """S + P_in + P_over + X: what the balance check compares with R."""
        return self.resolved + self.pending + (self.returned or 0)

    @classmethod
    def of(cls, record) -> Counts:
        """Read the counts of a model object that has the same attribute names."""
        return cls(**{f.name: getattr(record, f.name) for f in fields(cls)})


COUNT_FIELDS = tuple(f.name for f in fields(Counts))

COUNT_LABELS = {
    "carried_over": _l("carried over"),
    "received_online": _l("received online"),
    "received_desk": _l("received at the desk"),
    "resolved_early": _l("resolved before the deadline"),
    "resolved_on_time": _l("resolved on time"),
    "resolved_in_time": _l("resolved before or on the deadline"),
    "resolved_late": _l("resolved late"),
    "pending_within": _l("in progress within the deadline"),
    "pending_overdue": _l("in progress past the deadline"),
    "returned": _l("returned"),
}


# -- what does not add up -------------------------------------------------------------------------


@dataclass(frozen=True)
class Imbalance:
    """R differs from S + P_in + P_over + X."""

    total: int
    accounted: int
    returned_tracked: bool
    line: str = ""

    @property
    def difference(self) -> int:
        return abs(self.total - self.accounted)

    def describe(self, locale=None) -> str:
        values = {
            "total": format_count(self.total, locale),
            "parts": format_count(self.accounted, locale),
            "difference": format_count(self.difference, locale),
        }
        if self.returned_tracked:
            text = _(
                "The total to handle, %(total)s, differs from resolved, in progress and "
                "returned together, %(parts)s: a difference of %(difference)s.",
                **values,
            )
        else:
            text = _(
                "The total to handle, %(total)s, differs from resolved and in progress "
                "together, %(parts)s: a difference of %(difference)s.",
                **values,
            )
        return f"{self.line}: {text}" if self.line else text


@dataclass(frozen=True)
class FieldGap:
    name: str
    lines: int
    total: int


@dataclass(frozen=True)
class BreakdownGap:
    """The lines of one breakdown do not add up to the totals."""

    dimension: str  # "area", "channel" or "area_channel"
    gaps: tuple[FieldGap, ...]

    def describe(self, locale=None) -> str:
        heading = {
            "area": _("The lines by procedure area do not add up to the totals"),
            "channel": _("The lines by channel do not add up to the totals"),
            "area_channel": _(
                "The lines by procedure area and channel do not add up to the totals"
            ),
        }[self.dimension]
        parts = [
            _(
                "%(what)s %(lines)s instead of %(total)s",
                what=COUNT_LABELS[gap.name],
                lines=format_count(gap.lines, locale),
                total=format_count(gap.total, locale),
            )
            for gap in self.gaps
        ]
        return f"{heading}: {'; '.join(parts)}."


def balance(counts: Counts, *, line: str = "") -> Imbalance | None:
    """Check R = S + P_in + P_over + X; return what differs, or None when it holds."""
    if counts.total == counts.accounted:
        return None
    return Imbalance(
        total=counts.total,
        accounted=counts.accounted,
        returned_tracked=counts.returned is not None,
        line=line,
    )


def _sum_gaps(totals: Counts, lines: Sequence[Counts]) -> tuple[FieldGap, ...]:
    gaps = []

    def compare(name: str, lines_value: int, total_value: int) -> None:
        if lines_value != total_value:
            gaps.append(FieldGap(name, lines_value, total_value))

    for name in ("carried_over", "received_online", "received_desk"):
        compare(name, sum(getattr(c, name) for c in lines), getattr(totals, name))
    early_known = totals.resolved_early is not None and all(
        c.resolved_early is not None for c in lines
    )
    if early_known:
        compare("resolved_early", sum(c.resolved_early for c in lines), totals.resolved_early)
        compare("resolved_on_time", sum(c.resolved_on_time for c in lines), totals.resolved_on_time)
    else:
        compare("resolved_in_time", sum(c.resolved_in_time for c in lines), totals.resolved_in_time)
    for name in ("resolved_late", "pending_within", "pending_overdue"):
        compare(name, sum(getattr(c, name) for c in lines), getattr(totals, name))
    if totals.returned is not None or any(c.returned is not None for c in lines):
        compare("returned", sum(c.returned or 0 for c in lines), totals.returned or 0)
    return tuple(gaps)


# -- the figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    online_share: Decimal | None  # R_on / R_new
    on_time_resolved: Decimal | None  # (S_early + S_ontime) / S
    on_time_load: Decimal | None  # (S_early + S_ontime + P_in) / R
    overdue: Decimal | None  # (S_late + P_over) / R
    early: Decimal | None  # early count / B, by the ward's own measure

    @classmethod
    def of(cls, counts: Counts, early_count: int | None, early_base: int | None) -> Rates:
        return cls(
            online_share=percentage(counts.received_online, counts.received),
            on_time_resolved=percentage(counts.resolved_in_time, counts.resolved),
            on_time_load=percentage(counts.resolved_in_time + counts.pending_within, counts.total),
            overdue=percentage(counts.resolved_late + counts.pending_overdue, counts.total),
            early=(
                percentage(early_count, early_base)
                if early_count is not None and early_base is not None
                else None
            ),
        )


@dataclass(frozen=True)
class LineInput:
    """One line of a breakdown, as ``compute`` takes it."""

    label: str
    dimension: str  # "area", "channel" or "area_channel"
    counts: Counts


@dataclass(frozen=True)
class LineFigures:
    label: str
    dimension: str
    counts: Counts
    rates: Rates
    imbalance: Imbalance | None


@dataclass(frozen=True)
class FigureRow:
    """One row of the figures table, for the conference page and the minutes."""

    key: str
    label: str
    value: int | Decimal | None
    is_rate: bool = False
    level: int = 0
    note: str = ""

    def display(self, locale=None) -> str:
        if self.is_rate:
            return format_rate(self.value, locale)
        return format_count(self.value, locale)


@dataclass(frozen=True)
class DossierFigures:
    counts: Counts
    rates: Rates
    early_count: int | None = None
    early_base: int | None = None
    early_measure: str = ""
    early_base_definition: str = ""
    cutoff_date: date | None = None
    imbalance: Imbalance | None = None
    lines: tuple[LineFigures, ...] = ()
    breakdown_gaps: tuple[BreakdownGap, ...] = ()

    @property
    def is_balanced(self) -> bool:
        return self.imbalance is None and all(line.imbalance is None for line in self.lines)

    @property
    def is_consistent(self) -> bool:
        """Tell whether the totals, every line and every breakdown add up."""
        return self.is_balanced and not self.breakdown_gaps

    def problems(self, locale=None) -> list[str]:
        """Every check that fails, as sentences in the current language."""
        found = [self.imbalance] if self.imbalance else []
        found += [line.imbalance for line in self.lines if line.imbalance]
        found += list(self.breakdown_gaps)
        return [problem.describe(locale) for problem in found]

    def table_rows(self) -> list[FigureRow]:
        """The counts and rates in the order a report reads them."""
        c, r = self.counts, self.rates
        rows = [
            FigureRow("carried_over", _l("Carried over from earlier periods"), c.carried_over),
            FigureRow("received", _l("Received in the period"), c.received),
            FigureRow("received_online", _l("of which online"), c.received_online, level=1),
            FigureRow(
                "received_desk", _l("of which at the desk or by post"), c.received_desk, level=1
            ),
            FigureRow("total", _l("Total to handle"), c.total),
            FigureRow("resolved", _l("Resolved"), c.resolved),
        ]
        if c.resolved_early is None:
            rows.append(
                FigureRow(
                    "resolved_in_time",
                    _l("before or on the deadline"),
                    c.resolved_in_time,
                    level=1,
                )
            )
        else:
            rows += [
                FigureRow("resolved_early", _l("before the deadline"), c.resolved_early, level=1),
                FigureRow("resolved_on_time", _l("on the deadline"), c.resolved_on_time, level=1),
            ]
        rows += [
            FigureRow("resolved_late", _l("late"), c.resolved_late, level=1),
            FigureRow("pending", _l("In progress at the cut-off"), c.pending),
            FigureRow("pending_within", _l("within the deadline"), c.pending_within, level=1),
            FigureRow("pending_overdue", _l("past the deadline"), c.pending_overdue, level=1),
        ]
        if c.returned is not None:
            rows.append(FigureRow("returned", _l("Returned, withdrawn or refused"), c.returned))
        rows += [
            FigureRow("online_share", _l("Online share of new dossiers"), r.online_share, True),
            FigureRow(
                "on_time_resolved",
                _l("Resolved before or on the deadline, of all resolved"),
                r.on_time_resolved,
                True,
            ),
            FigureRow(
                "on_time_load",
                _l("Resolved in time or still within the deadline, of all to handle"),
                r.on_time_load,
                True,
            ),
            FigureRow(
                "overdue",
                _l("Resolved late or past the deadline, of all to handle"),
                r.overdue,
                True,
            ),
        ]
        if self.early_base is not None:
            rows.append(
                FigureRow(
                    "early",
                    _l("Resolved early, by the ward's own measure"),
                    r.early,
                    True,
                    note=self.early_note(),
                )
            )
        return rows

    def summary_rows(self) -> list[FigureRow]:
        """The few rows the conference page shows."""
        keep = {
            "received",
            "received_online",
            "received_desk",
            "resolved",
            "pending",
            "online_share",
            "on_time_resolved",
            "on_time_load",
            "early",
        }
        return [row for row in self.table_rows() if row.key in keep]

    def early_note(self, locale=None) -> str:
        """Say what the early rate counts: "450 of 852 (…)"."""
        if self.early_base is None:
            return ""
        text = _(
            "%(count)s of %(base)s",
            count=format_count(self.early_count, locale),
            base=format_count(self.early_base, locale),
        )
        details = "; ".join(
            part for part in (self.early_measure, self.early_base_definition) if part
        )
        return f"{text} ({details})" if details else text


def compute(
    counts: Counts,
    *,
    early_count: int | None = None,
    early_base: int | None = None,
    lines: Sequence[LineInput] = (),
    early_measure: str = "",
    early_base_definition: str = "",
    cutoff_date: date | None = None,
) -> DossierFigures:
    """Compute the totals, the rates and every check of one period's counts."""
    line_figures = tuple(
        LineFigures(
            label=line.label,
            dimension=line.dimension,
            counts=line.counts,
            rates=Rates.of(line.counts, None, None),
            imbalance=balance(line.counts, line=line.label),
        )
        for line in lines
    )
    gaps = []
    for dimension in ("area", "channel", "area_channel"):
        group = [line.counts for line in lines if line.dimension == dimension]
        if group and (found := _sum_gaps(counts, group)):
            gaps.append(BreakdownGap(dimension, found))
    return DossierFigures(
        counts=counts,
        rates=Rates.of(counts, early_count, early_base),
        early_count=early_count,
        early_base=early_base,
        early_measure=early_measure,
        early_base_definition=early_base_definition,
        cutoff_date=cutoff_date,
        imbalance=balance(counts),
        lines=line_figures,
        breakdown_gaps=tuple(gaps),
    )


def figures_for(conference, locale=None) -> DossierFigures | None:
    """Return the figures the reporter entered for ``conference``, or None if there are none."""
    from dialogue.dossier.models import DossierReport
    from dialogue.extensions import db

    report = db.session.scalar(
        sa.select(DossierReport).where(DossierReport.conference_id == conference.id)
    )
    return figures_of(report, locale) if report is not None else None


def figures_of(report, locale=None) -> DossierFigures:
    """Compute the figures of a ``DossierReport`` already loaded."""
    language = _locale(locale)
    return compute(
        Counts.of(report),
        early_count=report.early_count,
        early_base=report.early_base,
        early_measure=report.early_measure,
        early_base_definition=report.early_base_definition,
        cutoff_date=report.cutoff_date,
        lines=[
            LineInput(line.label_for(language), line.dimension, Counts.of(line))
            for line in report.ordered_lines
        ],
    )
