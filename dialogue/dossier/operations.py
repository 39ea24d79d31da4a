"""Writing the dossier figures of a conference: the totals and the lines of a breakdown."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.text import normalize_text
from dialogue.dossier import figures
from dialogue.dossier.figures import Counts, format_count
from dialogue.dossier.models import DossierChannel, DossierLine, DossierReport
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.wards.models import ProcedureArea

# Published minutes carry the figures; a cancelled conference reports none.
FROZEN_STATES = frozenset({ConferenceStatus.PUBLISHED, ConferenceStatus.CANCELLED})


@dataclass(frozen=True)
class ReportData:
    """What the organiser enters for the whole period."""

    counts: Counts
    early_count: int | None = None
    early_base: int | None = None
    early_measure: str = ""
    early_base_definition: str = ""
    cutoff_date: date | None = None
    other_results: str = ""


@dataclass(frozen=True)
class LineData:
    """What the organiser enters for one line of a breakdown."""

    counts: Counts
    procedure_area_id: int | None = None
    channel: DossierChannel | None = None


def figures_editable(conference: Conference) -> bool:
    return conference.status not in FROZEN_STATES


def report_of(conference: Conference) -> DossierReport | None:
    return db.session.scalar(
        sa.select(DossierReport).where(DossierReport.conference_id == conference.id)
    )


def frozen_message(conference: Conference) -> str:
    """Say why the dossier figures of ``conference`` can no longer change."""
    if conference.status is ConferenceStatus.CANCELLED:
        return _("The conference is cancelled: its dossier figures can no longer be changed.")
    return _("The minutes are published: the dossier figures can no longer be changed.")


def _check_editable(conference: Conference) -> None:
    if not figures_editable(conference):
        raise ValidationFailed(frozen_message(conference))


def _check_counts(counts: Counts) -> None:
    for name in (f.name for f in fields(Counts)):
        value = getattr(counts, name)
        if value is not None and value < 0:
            raise ValidationFailed(_("Enter a whole number, 0 or more."), field=name)
    imbalance = figures.balance(counts)
    if imbalance is not None:
        raise ValidationFailed(imbalance.describe())


def _checked_report(data: ReportData) -> ReportData:
    counts = data.counts
    _check_counts(counts)
    measure = normalize_text(data.early_measure)
    definition = normalize_text(data.early_base_definition)
    early, base = data.early_count, data.early_base
    if (early is None) != (base is None):
        missing = "early_base" if base is None else "early_count"
        raise ValidationFailed(
            _("Give both the number resolved early and the base it is counted in."), field=missing
        )
    if base is not None:
        if early < 0:
            raise ValidationFailed(_("Enter a whole number, 0 or more."), field="early_count")
        if base < 0:
            raise ValidationFailed(_("Enter a whole number, 0 or more."), field="early_base")
        if early > base:
            raise ValidationFailed(
                _(
                    "%(early)s resolved early is more than the base of %(base)s.",
                    early=format_count(early),
                    base=format_count(base),
                ),
                field="early_count",
            )
        if base > counts.total:
            raise ValidationFailed(
                _(
                    "The base, %(base)s, is more than the total to handle, %(total)s.",
                    base=format_count(base),
                    total=format_count(counts.total),
                ),
                field="early_base",
            )
        # Resolved early by the ward's measure is resolved before the deadline.
        ceiling = (
            counts.resolved_early if counts.resolved_early is not None else counts.resolved_in_time
        )
        if early > ceiling:
            raise ValidationFailed(
                _(
                    "%(early)s resolved early is more than the %(ceiling)s resolved before "
                    "the deadline.",
                    early=format_count(early),
                    ceiling=format_count(ceiling),
                ),
                field="early_count",
            )
        if not definition:
            raise ValidationFailed(
                _("Say which dossiers the base counts."), field="early_base_definition"
            )
    return ReportData(
        counts=counts,
        early_count=early,
        early_base=base,
        early_measure=measure if base is not None else "",
        early_base_definition=definition if base is not None else "",
        cutoff_date=data.cutoff_date,
        other_results="\n".join(
            line
            for line in (normalize_text(line) for line in data.other_results.splitlines())
            if line
        ),
    )


def _apply_counts(record, counts: Counts) -> None:
    for name in (f.name for f in fields(Counts)):
        setattr(record, name, getattr(counts, name))


def save_report(conference: Conference, data: ReportData) -> DossierReport:
    """Create or replace the totals of ``conference``; refuse counts that do not balance."""
    _check_editable(conference)
    data = _checked_report(data)
    report = report_of(conference)
    if report is None:
        report = DossierReport(conference=conference, ward_id=conference.ward_id)
        db.session.add(report)
    _apply_counts(report, data.counts)
    report.early_count = data.early_count
    report.early_base = data.early_base
    report.early_measure = data.early_measure
    report.early_base_definition = data.early_base_definition
    report.cutoff_date = data.cutoff_date
    report.other_results = data.other_results
    db.session.flush()
    return report


def _checked_line(report: DossierReport, data: LineData, *, line: DossierLine | None) -> None:
    if data.procedure_area_id is None and data.channel is None:
        raise ValidationFailed(
            _("Choose a procedure area, a channel, or both."), field="procedure_area_id"
        )
    if data.procedure_area_id is not None:
        area = db.session.get(ProcedureArea, data.procedure_area_id)
        if area is None or area.ward_id != report.ward_id:
            raise ValidationFailed(
                _("This procedure area is not in the ward."), field="procedure_area_id"
            )
    counts = data.counts
    if data.channel is DossierChannel.ONLINE and counts.received_desk:
        raise ValidationFailed(
            _("A line of online dossiers has none received at the desk."), field="received_desk"
        )
    if data.channel is DossierChannel.DESK and counts.received_online:
        raise ValidationFailed(
            _("A line of desk dossiers has none received online."), field="received_online"
        )
    twin = db.session.scalar(
        sa.select(DossierLine.id).where(
            DossierLine.report_id == report.id,
            DossierLine.procedure_area_id.is_(None)
            if data.procedure_area_id is None
            else DossierLine.procedure_area_id == data.procedure_area_id,
            DossierLine.channel.is_(None)
            if data.channel is None
            else DossierLine.channel == data.channel,
            DossierLine.id != (line.id if line is not None else -1),
        )
    )
    if twin is not None:
        raise ValidationFailed(
            _("The breakdown already has a line for this area and channel."),
            field="procedure_area_id",
        )
    _check_counts(counts)


def _apply_line(line: DossierLine, data: LineData) -> None:
    line.procedure_area_id = data.procedure_area_id
    line.channel = data.channel
    _apply_counts(line, data.counts)


def add_line(report: DossierReport, data: LineData) -> DossierLine:
    """Add one line to the breakdown of ``report``; the line must balance on its own."""
    _check_editable(report.conference)
    _checked_line(report, data, line=None)
    line = DossierLine(report=report, ward_id=report.ward_id)
    _apply_line(line, data)
    db.session.add(line)
    db.session.flush()
    return line


def update_line(line: DossierLine, data: LineData) -> None:
    """Change one line of the breakdown."""
    _check_editable(line.report.conference)
    _checked_line(line.report, data, line=line)
    _apply_line(line, data)
    db.session.flush()


def delete_line(line: DossierLine) -> None:
    """Remove one line of the breakdown."""
    _check_editable(line.report.conference)
    line.report.lines.remove(line)
    db.session.delete(line)
    db.session.flush()
