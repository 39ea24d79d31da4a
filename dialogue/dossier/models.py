"""The reporter's dossier figures of a conference: raw counts, never only percentages."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.conferences.models import Conference
from dialogue.core.db import TimestampMixin, TitledEnum, enum_column
from dialogue.extensions import db
from dialogue.wards.models import ProcedureArea, WardScopedMixin

# The columns every set of counts has; the symbols are those of dossier-kpis.md.
COUNT_COLUMNS = (
    "carried_over",  # R_prev
    "received_online",  # R_on
    "received_desk",  # R_off
    "resolved_early",  # S_early (NULL: counted with the on-time ones)
    "resolved_on_time",  # S_ontime
    "resolved_late",  # S_late
    "pending_within",  # P_in
    "pending_overdue",  # P_over
    "returned",  # X (NULL: not tracked)
)


def _not_negative(*names: str) -> tuple[sa.CheckConstraint, ...]:
    return tuple(
        sa.CheckConstraint(f"{name} IS NULL OR {name} >= 0", name=f"{name}_not_negative")
        for name in names
    )


class CountsMixin:
    """The raw counts of one period, for the ward or one line of a breakdown."""

    carried_over: Mapped[int] = mapped_column(default=0)
    received_online: Mapped[int] = mapped_column(default=0)
    received_desk: Mapped[int] = mapped_column(default=0)
    resolved_early: Mapped[int | None]
    resolved_on_time: Mapped[int] = mapped_column(default=0)
    resolved_late: Mapped[int] = mapped_column(default=0)
    pending_within: Mapped[int] = mapped_column(default=0)
    pending_overdue: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int | None]


class DossierReport(WardScopedMixin, CountsMixin, TimestampMixin, db.Model):
    """The one-stop desk's figures for the conference's reporting period (one per conference)."""

    __tablename__ = "dossier_reports"
    __audited__ = True
    __table_args__ = (
        *_not_negative(*COUNT_COLUMNS, "early_count", "early_base"),
        sa.CheckConstraint(
            "(early_count IS NULL AND early_base IS NULL)"
            " OR (early_count IS NOT NULL AND early_base IS NOT NULL AND early_count <= early_base)",
            name="early_within_base",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), unique=True
    )
    # The early rate is the ward's own measure ("trước hạn 4 giờ") over its own base B
    # ("hồ sơ có phiếu hẹn và hồ sơ dịch vụ công"), not S_early over S: both are kept as
    # counts with the words that define them.
    early_count: Mapped[int | None]
    early_base: Mapped[int | None]
    early_measure: Mapped[str] = mapped_column(sa.String(200), default="")
    early_base_definition: Mapped[str] = mapped_column(sa.String(500), default="")
    cutoff_date: Mapped[date | None]
    # Results the figures do not hold, in the reporter's words, one a line: "trả 45 kết quả
    # đăng ký khai sinh tại nhà". The minutes print them under the table.
    other_results: Mapped[str] = mapped_column(sa.Text, default="")

    conference: Mapped[Conference] = relationship()
    lines: Mapped[list[DossierLine]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DossierLine.id",
    )

    @property
    def ordered_lines(self) -> list[DossierLine]:
        """The breakdown as a report reads it: by area, by channel, then by both."""
        return sorted(self.lines, key=DossierLine.sort_key)

    def __repr__(self) -> str:
        return f"<DossierReport {self.id} conference={self.conference_id}>"


class DossierChannel(TitledEnum):
    ONLINE = "online"
    DESK = "desk"

    @property
    def title(self) -> str:
        return {
            DossierChannel.ONLINE: _l("Online"),
            DossierChannel.DESK: _l("At the desk or by post"),
        }[self]

    @property
    def title_vi(self) -> str:
        return {DossierChannel.ONLINE: "Trực tuyến", DossierChannel.DESK: "Trực tiếp, bưu chính"}[
            self
        ]


_CHANNEL_ORDER = {DossierChannel.ONLINE: 0, DossierChannel.DESK: 1, None: 2}


class DossierLine(WardScopedMixin, CountsMixin, TimestampMixin, db.Model):
    """One line of the breakdown: a procedure area, a channel, or both."""

    __tablename__ = "dossier_lines"
    __audited__ = True
    __table_args__ = (
        *_not_negative(*COUNT_COLUMNS),
        sa.CheckConstraint(
            "procedure_area_id IS NOT NULL OR channel IS NOT NULL", name="area_or_channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier_reports.id", ondelete="CASCADE"), index=True
    )
    # Areas are deactivated, never deleted, so a line keeps its area.
    procedure_area_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("procedure_areas.id", ondelete="RESTRICT"), index=True
    )
    channel: Mapped[DossierChannel | None] = mapped_column(
        enum_column(DossierChannel, "dossier_channel")
    )

    report: Mapped[DossierReport] = relationship(back_populates="lines")
    procedure_area: Mapped[ProcedureArea | None] = relationship()

    @property
    def dimension(self) -> str:
        """Which breakdown the line belongs to: "area", "channel" or "area_channel"."""
        if self.procedure_area_id is not None and self.channel is not None:
            return "area_channel"
        return "area" if self.procedure_area_id is not None else "channel"

    def sort_key(self) -> tuple:
        order = {"area": 0, "channel": 1, "area_channel": 2}[self.dimension]
        area = self.procedure_area
        return (
            order,
            area.position if area else 0,
            area.code if area else "",
            _CHANNEL_ORDER[self.channel],
        )

    def label_for(self, locale: str) -> str:
        parts = []
        if self.procedure_area is not None:
            parts.append(self.procedure_area.name_for(locale))
        if self.channel is not None:
            parts.append(self.channel.title_vi if locale == "vi" else str(self.channel.title))
        return " · ".join(parts)

    def __repr__(self) -> str:
        return f"<DossierLine {self.id} report={self.report_id} {self.dimension}>"
