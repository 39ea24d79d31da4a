"""The ward's figures for a period as files: a workbook of the page's tables, and the report.

The report is a "Báo cáo kết quả đối thoại" (BC) in the Nghị định 30 layout, numbered by the
clerk when it is registered. Both files are in Vietnamese whatever the interface's language,
like the minutes: their labels are written here, the reference names are read in Vietnamese and
the application's own titles (period, outcomes, survey elements) are taken in Vietnamese.
This module composes; ``dialogue.documents`` writes.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import force_locale

from dialogue.content import wording
from dialogue.core.dates import vn_date
from dialogue.documents import xlsx as xlsx_writer
from dialogue.documents.composed import Column, Kind, Properties, Rows
from dialogue.documents.downloads import dated_filename
from dialogue.documents.pdf import render_pdf
from dialogue.dossier.figures import format_count, format_rate
from dialogue.minutes.compose import short_date
from dialogue.stats.charts import PAPER, figure_charts
from dialogue.stats.figures import Period, WardFigures, ward_figures

LOCALE = "vi"
XLSX_MIMETYPE = xlsx_writer.MIMETYPE
PDF_MIMETYPE = "application/pdf"
XLSX_STEM = "So lieu doi thoai"
REPORT_STEM = "Bao cao ket qua doi thoai"
REPORT_TEMPLATE = "stats/report_pdf.html"
REPORT_STYLESHEETS = ("css/minutes-document.css", "css/stats-report.css")
REPORT_TYPE = "BC"
# The number is written in by hand when the clerk registers the report before it is signed.
NUMBER_GAP = "\u00a0" * 8
DOSSIER_NOTE = (
    "Số liệu là tổng các báo cáo kết quả giải quyết hồ sơ trình bày tại các hội nghị của mỗi "
    "kỳ; tỷ lệ tính theo phần trăm, làm tròn đến một chữ số thập phân."
)
RATE_NAMES = ("online_share", "on_time_resolved", "on_time_load", "overdue", "early")


def _minutes_text(key: str, **values) -> str:
    return wording("minutes.vi")(key, **values)


def _minutes_lines(key: str) -> list[str]:
    return wording("minutes.vi").lines(key)


def _count(value: int | None) -> str:
    return format_count(value, LOCALE)


def _rate(value) -> str:
    return format_rate(value, LOCALE)


def _nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


# -- the period in words --------------------------------------------------------------------------


def period_words(period: Period) -> str:
    """The period inside a sentence: "năm 2024", "6 tháng đầu năm 2024", "từ ngày … đến ngày …"."""
    year = period.start.year
    if period.kind == "year":
        return f"năm {year}"
    if period.kind == "half":
        # "6 tháng" never breaks across lines.
        half = "đầu" if period.start.month == 1 else "cuối"
        return f"6\u00a0tháng {half} năm {year}"
    return f"từ ngày {short_date(period.start)} đến ngày {short_date(period.end)}"


def _period_lead(period: Period) -> str:
    """The period opening a sentence: "Trong năm 2024", "Từ ngày … đến ngày …"."""
    words = period_words(period)
    if period.kind == "custom":
        return words[:1].upper() + words[1:]
    return f"Trong {words}"


def _period_stem(period: Period) -> str:
    if period.kind == "custom":
        return f"{period.start.isoformat()} {period.end.isoformat()}"
    return period_words(period)


def xlsx_filename(period: Period, today: date) -> str:
    return dated_filename(f"{XLSX_STEM} {_period_stem(period)}", today, "xlsx")


def report_filename(period: Period, today: date) -> str:
    return dated_filename(f"{REPORT_STEM} {_period_stem(period)}", today, "pdf")


# -- the workbook ---------------------------------------------------------------------------------

TOTAL = "Tổng cộng"
NARROW = "c-number"  # the width class of the "STT" column, centred
NUMBER = Column("number", "STT", 6, kind=Kind.INTEGER)


def _heading(what: str, ward, figures: WardFigures) -> str:
    return f"{what} – {ward.display_name} – {figures.period.label}"


def _count_sheet(title: str, what: str, head: str, rows, total, ward, figures) -> Rows:
    """Present and invited by residential group or by delegate category, and the total."""
    return Rows(
        title=title,
        heading=_heading(what, ward, figures),
        columns=(
            NUMBER,
            Column("label", head, 36, wraps=True),
            Column("invited", "Được mời", 12, kind=Kind.INTEGER),
            Column("present", "Có mặt", 12, kind=Kind.INTEGER),
        ),
        rows=[
            {"number": n, "label": row.label, "invited": row.invited, "present": row.present}
            for n, row in enumerate(rows, start=1)
        ]
        + [{"label": TOTAL, "invited": total.invited, "present": total.present}],
    )


def _conference_sheet(ward, figures: WardFigures) -> Rows:
    return Rows(
        title="Hội nghị",
        heading=_heading("Các hội nghị đối thoại đã tổ chức", ward, figures),
        columns=(
            NUMBER,
            Column("held_on", "Ngày tổ chức", 13, kind=Kind.DATE),
            Column("title", "Hội nghị", 60, wraps=True),
            Column("status", "Trạng thái", 18, wraps=True),
            Column("note", "Ghi chú", 24, wraps=True),
        ),
        rows=[
            {
                "number": n,
                "held_on": conference.held_on,
                "title": conference.title,
                "status": str(conference.status.title),
                "note": "Nhập vào hệ thống sau khi diễn ra"
                if conference.is_recorded_afterwards
                else "",
            }
            for n, conference in enumerate(figures.conferences, start=1)
        ],
    )


def _area_sheet(ward, figures: WardFigures) -> Rows:
    turns = figures.turns

    def values(row) -> dict:
        return {
            "label": row.label,
            "answered": row.answered,
            "referred": row.referred,
            "pending": row.pending,
            "total": row.total,
            "share": row.answered_share,
        }

    return Rows(
        title="Theo lĩnh vực",
        heading=_heading("Ý kiến phát biểu theo lĩnh vực thủ tục hành chính", ward, figures),
        columns=(
            NUMBER,
            Column("label", "Lĩnh vực thủ tục hành chính", 36, wraps=True),
            Column("answered", "Trả lời trực tiếp tại hội nghị", 14, kind=Kind.INTEGER),
            Column("referred", "Chuyển trả lời bằng văn bản", 14, kind=Kind.INTEGER),
            Column("pending", "Chờ trả lời", 12, kind=Kind.INTEGER),
            Column("total", "Tổng số", 10, kind=Kind.INTEGER),
            Column("share", "Tỷ lệ trả lời tại hội nghị (%)", 14, kind=Kind.PERCENT),
        ),
        rows=[{"number": n, **values(row)} for n, row in enumerate(turns.areas, start=1)]
        + [{**values(turns.total), "label": TOTAL}],
    )


def _referral_sheet(ward, figures: WardFigures) -> Rows:
    referrals = figures.referrals
    what = f"Kiến nghị chuyển trả lời bằng văn bản, tính đến ngày {short_date(referrals.as_of)}"
    return Rows(
        title="Kiến nghị chuyển",
        heading=_heading(what, ward, figures),
        columns=(
            NUMBER,
            Column("label", "Tình hình trả lời", 36, wraps=True),
            Column("count", "Số kiến nghị", 12, kind=Kind.INTEGER),
            Column("share", "Tỷ lệ (%)", 12, kind=Kind.PERCENT),
        ),
        rows=[
            {"number": n, "label": str(outcome.title), "count": count, "share": share}
            for n, (outcome, count, share) in enumerate(referrals.rows(), start=1)
        ]
        + [{"label": TOTAL, "count": referrals.total}],
    )


def _dossier_columns(first: tuple[Column, ...], with_early: bool) -> tuple[Column, ...]:
    labels = wording("minutes.vi").table("figures.labels")
    counts = (
        Column("carried_over", labels["carried_over"], 14, kind=Kind.INTEGER),
        Column("received", labels["received"], 14, kind=Kind.INTEGER),
        Column("received_online", "Tiếp nhận trực tuyến", 14, kind=Kind.INTEGER),
        Column("total", labels["total"], 14, kind=Kind.INTEGER),
        Column("resolved", labels["resolved"], 14, kind=Kind.INTEGER),
        Column("pending", labels["pending"], 14, kind=Kind.INTEGER),
    )
    rates = tuple(
        Column(name, f"{labels[name]} (%)", 18, kind=Kind.PERCENT)
        for name in RATE_NAMES
        if name != "early" or with_early
    )
    return first + counts + rates


def _dossier_values(counts, rates) -> dict:
    values = {
        "carried_over": counts.carried_over,
        "received": counts.received,
        "received_online": counts.received_online,
        "total": counts.total,
        "resolved": counts.resolved,
        "pending": counts.pending,
    }
    return values | {name: getattr(rates, name) for name in RATE_NAMES}


def _dossier_sheets(ward, figures: WardFigures) -> list[Rows]:
    dossiers = figures.dossiers
    periods = (
        (figures.period, dossiers.current, "Kỳ báo cáo"),
        (dossiers.previous_period, dossiers.previous, "Kỳ trước"),
    )
    with_early = any(part.rates.early is not None for _period, part, _name in periods)
    by_period = Rows(
        title="Hồ sơ TTHC",
        heading=_heading(
            "Kết quả giải quyết hồ sơ thủ tục hành chính, kỳ báo cáo và kỳ trước", ward, figures
        ),
        columns=_dossier_columns(
            (
                Column("which", "Kỳ", 12),
                Column("period", "Thời gian", 24, wraps=True),
                Column("start", "Từ ngày", 12, kind=Kind.DATE),
                Column("end", "Đến ngày", 12, kind=Kind.DATE),
                Column("reports", "Số báo cáo của các hội nghị", 12, kind=Kind.INTEGER),
            ),
            with_early,
        ),
        rows=[
            {
                "which": name,
                "period": period.label,
                "start": period.start,
                "end": period.end,
                "reports": part.reports,
                **_dossier_values(part.counts, part.rates),
            }
            for period, part, name in periods
        ],
    )
    by_conference = Rows(
        title="Hồ sơ theo hội nghị",
        heading=_heading(
            "Báo cáo kết quả giải quyết hồ sơ tại từng hội nghị trong kỳ", ward, figures
        ),
        columns=_dossier_columns(
            (
                NUMBER,
                Column("held_on", "Ngày tổ chức", 13, kind=Kind.DATE),
                Column("title", "Hội nghị", 40, wraps=True),
            ),
            with_early,
        ),
        rows=[
            {
                "number": n,
                "held_on": row.held_on,
                "title": row.title,
                **_dossier_values(row.counts, row.rates),
            }
            for n, row in enumerate(dossiers.by_conference, start=1)
        ],
    )
    return [by_period, by_conference]


def _satisfaction_sheet(
    title: str, what: str, head: str, count_head: str, rows, total, ward, figures
):
    def values(label: str, result) -> dict:
        return {
            "label": label,
            "responses": result.responses,
            "satisfied": result.satisfied,
            "rate": result.rate,
        }

    return Rows(
        title=title,
        heading=_heading(what, ward, figures),
        columns=(
            NUMBER,
            Column("label", head, 40, wraps=True),
            Column("responses", count_head, 12, kind=Kind.INTEGER),
            Column("satisfied", "Hài lòng", 12, kind=Kind.INTEGER),
            Column("rate", "Tỷ lệ hài lòng (%)", 14, kind=Kind.PERCENT),
        ),
        rows=[
            {"number": n, **values(str(item.title), result)}
            for n, (item, result) in enumerate(rows, start=1)
        ]
        + [values(total[0], total[1])],
    )


def workbook_sheets(ward, figures: WardFigures) -> list[Rows]:
    """The page's blocks, one sheet each; call under the documents' locale."""
    attendance = figures.attendance
    sheets = [
        _conference_sheet(ward, figures),
        _count_sheet(
            "Theo tổ dân phố",
            "Số người được mời và có mặt theo tổ dân phố",
            "Tổ dân phố",
            attendance.by_group,
            attendance.total,
            ward,
            figures,
        ),
        _count_sheet(
            "Theo thành phần",
            "Số người được mời và có mặt theo thành phần đại biểu",
            "Thành phần đại biểu",
            attendance.by_category,
            attendance.total,
            ward,
            figures,
        ),
        _area_sheet(ward, figures),
        _referral_sheet(ward, figures),
        *_dossier_sheets(ward, figures),
        _satisfaction_sheet(
            "Sự hài lòng",
            f"Mức độ hài lòng theo từng yếu tố khảo sát ({_count(figures.survey.responses)} phiếu)",
            "Yếu tố khảo sát",
            "Số ý kiến",
            figures.survey.elements,
            ("Chung cả năm yếu tố", figures.survey.overall),
            ward,
            figures,
        ),
    ]
    if figures.ratings.overall.responses:
        sheets.append(
            _satisfaction_sheet(
                "Đánh giá câu trả lời",
                "Đánh giá của người dân về các câu trả lời",
                "Hình thức trả lời",
                "Số lượt đánh giá",
                figures.ratings.kinds,
                (TOTAL, figures.ratings.overall),
                ward,
                figures,
            )
        )
    return sheets


def _properties(ward, figures: WardFigures, title: str) -> Properties:
    return Properties(
        title=title,
        subject=f"Kết quả tổ chức hội nghị đối thoại {period_words(figures.period)}",
        author=f"UBND {ward.full_name}",
        keywords=("đối thoại", "cải cách thủ tục hành chính", ward.display_name),
        category="Báo cáo",
    )


def figures_xlsx(ward, period: Period, *, today: date) -> bytes:
    """The ward's figures for ``period`` as a workbook, in Vietnamese; referrals as of ``today``."""
    with force_locale(LOCALE):
        figures = ward_figures(ward, period, today=today, locale=LOCALE)
        title = f"Số liệu đối thoại {period_words(figures.period)} – {ward.display_name}"
        return xlsx_writer.write_workbook(
            workbook_sheets(ward, figures), properties=_properties(ward, figures, title)
        )


# -- the report (BC) ------------------------------------------------------------------------------


def _table(caption: str, columns, rows, total=None, note: str = "") -> dict:
    """A ruled table of the report: ``columns`` are (header, width class, is_number)."""
    return {
        "caption": caption,
        "columns": [
            {"header": h, "width": w, "align": "num" if num else ("center" if w == NARROW else "")}
            for h, w, num in columns
        ],
        "rows": rows,
        "total": total,
        "note": note,
    }


def _count_table(caption: str, head: str, rows, total) -> dict:
    return _table(
        caption,
        [("STT", NARROW, False), (head, "", False)]
        + [(name, "c-count", True) for name in ("Được mời", "Có mặt")],
        [
            [str(n), row.label, _count(row.invited), _count(row.present)]
            for n, row in enumerate(rows, start=1)
        ],
        ["", TOTAL, _count(total.invited), _count(total.present)],
    )


def _attendance_section(figures: WardFigures) -> dict:
    total = figures.attendance.total
    text = f"Tổng số lượt đại biểu, Nhân dân, doanh nghiệp có mặt tại các hội nghị: {_count(total.present)} người"
    if total.invited:
        text += f" (số người được mời: {_count(total.invited)})"
    return {
        "text": text + ".",
        "tables": [
            _count_table(
                "Số người có mặt theo tổ dân phố",
                "Tổ dân phố",
                figures.attendance.by_group,
                total,
            ),
            _count_table(
                "Số người có mặt theo thành phần đại biểu",
                "Thành phần đại biểu",
                figures.attendance.by_category,
                total,
            ),
        ],
    }


def _turns_section(figures: WardFigures) -> dict:
    turns = figures.turns
    total = turns.total
    if not total.total:
        return {"text": "Tại các hội nghị không có ý kiến phát biểu.", "table": None}
    parts = [
        f"{_count(total.answered)} ý kiến được trả lời trực tiếp tại hội nghị "
        f"(đạt {_rate(total.answered_share)})",
        f"{_count(total.referred)} ý kiến chuyển trả lời bằng văn bản",
    ]
    if total.pending:
        parts.append(f"{_count(total.pending)} ý kiến chưa được trả lời")
    text = (
        f"Tại các hội nghị có {_count(total.total)} lượt ý kiến phát biểu, "
        f"trong đó {', '.join(parts)}."
    )

    def cells(row) -> list[str]:
        return [
            _count(row.answered),
            _count(row.referred),
            _count(row.pending),
            _count(row.total),
            _rate(row.answered_share),
        ]

    table = _table(
        "Ý kiến phát biểu theo lĩnh vực thủ tục hành chính",
        [
            ("STT", NARROW, False),
            ("Lĩnh vực", "", False),
            ("Trả lời tại hội nghị", "c-figure", True),
            ("Chuyển trả lời bằng văn bản", "c-figure", True),
            ("Chờ trả lời", "c-figure", True),
            ("Tổng số", "c-figure", True),
            ("Tỷ lệ trả lời tại hội nghị", "c-figure", True),
        ],
        [[str(n), row.label, *cells(row)] for n, row in enumerate(turns.areas, start=1)],
        ["", TOTAL, *cells(total)],
    )
    return {"text": text, "table": table}


def _referrals_section(figures: WardFigures) -> dict:
    referrals = figures.referrals
    as_of = short_date(referrals.as_of)
    if not referrals.total:
        return {
            "text": "Trong kỳ không có kiến nghị chuyển trả lời bằng văn bản.",
            "table": None,
        }
    text = (
        f"Tính đến ngày {as_of}, trong tổng số {_count(referrals.total)} kiến nghị chuyển "
        f"trả lời bằng văn bản: {_count(referrals.on_time)} kiến nghị đã được trả lời đúng hạn "
        f"({_rate(referrals.on_time_share)}), {_count(referrals.late)} kiến nghị trả lời muộn, "
        f"{_count(referrals.open)} kiến nghị chưa trả lời còn trong hạn, "
        f"{_count(referrals.overdue)} kiến nghị đã quá hạn chưa được trả lời."
    )
    table = _table(
        f"Tình hình trả lời kiến nghị, tính đến ngày {as_of}",
        [
            ("STT", NARROW, False),
            ("Tình hình trả lời", "", False),
            ("Số kiến nghị", "c-count", True),
            ("Tỷ lệ", "c-count", True),
        ],
        [
            [str(n), str(outcome.title), _count(count), _rate(share)]
            for n, (outcome, count, share) in enumerate(referrals.rows(), start=1)
        ],
        ["", TOTAL, _count(referrals.total), ""],
    )
    return {"text": text, "table": table}


def _dossiers_section(figures: WardFigures) -> dict | None:
    dossiers = figures.dossiers
    current, previous = dossiers.current, dossiers.previous
    if not (current.reports or previous.reports):
        return None
    labels = wording("minutes.vi").table("figures.labels")
    rows = [["Số báo cáo của các hội nghị", _count(current.reports), _count(previous.reports)]]
    for name in ("received", "received_online", "total", "resolved", "pending"):
        now, before = getattr(current.counts, name), getattr(previous.counts, name)
        rows.append([labels[name], _count(now), _count(before)])
    for name in RATE_NAMES:
        now, before = getattr(current.rates, name), getattr(previous.rates, name)
        if name != "early" or now is not None or before is not None:
            rows.append([labels[name], _rate(now), _rate(before)])
    table = _table(
        _minutes_text("figures.caption"),
        [
            ("Chỉ tiêu", "", False),
            (figures.period.label, "c-value", True),
            (dossiers.previous_period.label, "c-value", True),
        ],
        rows,
        note=DOSSIER_NOTE,
    )
    if current.reports:
        text = (
            f"Tổng hợp {_count(current.reports)} báo cáo kết quả giải quyết hồ sơ thủ tục hành "
            f"chính trình bày tại các hội nghị: tiếp nhận {_count(current.counts.received)} hồ sơ, "
            f"đã giải quyết {_count(current.counts.resolved)} hồ sơ; tỷ lệ giải quyết trước hạn, "
            f"đúng hạn đạt {_rate(current.rates.on_time_resolved)}."
        )
    else:
        text = "Các hội nghị trong kỳ không có báo cáo kết quả giải quyết hồ sơ; số liệu kỳ trước như sau."
    return {"text": text, "table": table}


def _satisfaction_table(caption: str, head: str, count_head: str, rows, total) -> dict:
    def cells(result) -> list[str]:
        return [_count(result.responses), _count(result.satisfied), _rate(result.rate)]

    return _table(
        caption,
        [
            ("STT", NARROW, False),
            (head, "", False),
            (count_head, "c-count", True),
            ("Hài lòng", "c-count", True),
            ("Tỷ lệ hài lòng", "c-count", True),
        ],
        [
            [str(n), str(item.title), *cells(result)]
            for n, (item, result) in enumerate(rows, start=1)
        ],
        ["", total[0], *cells(total[1])],
    )


def _satisfaction_section(figures: WardFigures) -> list[dict]:
    """The survey, then the ratings of the answers: each a sentence, its table, its chart."""
    survey, ratings = figures.survey, figures.ratings
    parts = []
    if survey.responses:
        parts.append(
            {
                "text": f"Có {_count(survey.responses)} phiếu khảo sát sự hài lòng của người dân, "
                f"doanh nghiệp; tỷ lệ hài lòng chung cả năm yếu tố đạt "
                f"{_rate(survey.overall.rate)}.",
                "table": _satisfaction_table(
                    "Mức độ hài lòng theo từng yếu tố khảo sát",
                    "Yếu tố khảo sát",
                    "Số ý kiến",
                    survey.elements,
                    ("Chung cả năm yếu tố", survey.overall),
                ),
                "chart": "survey",
            }
        )
    else:
        parts.append({"text": "Trong kỳ chưa có phiếu khảo sát sự hài lòng.", "table": None})
    if ratings.overall.responses:
        parts.append(
            {
                "text": f"Người dân đã có {_count(ratings.overall.responses)} lượt đánh giá các "
                f"câu trả lời; tỷ lệ hài lòng đạt {_rate(ratings.overall.rate)}.",
                "table": _satisfaction_table(
                    "Đánh giá của người dân về các câu trả lời",
                    "Hình thức trả lời",
                    "Số lượt đánh giá",
                    ratings.kinds,
                    (TOTAL, ratings.overall),
                ),
            }
        )
    return parts


def _superior(ward) -> str:
    upper = _nfc(ward.parent_agency)
    province = _nfc(ward.province)
    if not upper and province:
        upper = _minutes_text(
            "defaults.recipients.province", province=province[:1].lower() + province[1:]
        )
    return _minutes_text("defaults.recipients.superior", agency=upper) if upper else ""


def report_context(ward, figures: WardFigures, *, today: date) -> dict:
    """What ``templates/stats/report_pdf.html`` shows: plain Vietnamese text, no database."""
    period = figures.period
    words = period_words(period)
    ward_word = ward.kind.word
    agency = f"Ủy ban nhân dân {ward.full_name}"
    subject = (
        f"Kết quả tổ chức hội nghị đối thoại giữa Chủ tịch UBND {ward_word} với Nhân dân, "
        f"doanh nghiệp về cải cách thủ tục hành chính {words}"
    )
    count = len(figures.conferences)
    if count:
        held = (
            f"{_period_lead(period)}, {agency} đã tổ chức {count:02d} hội nghị đối thoại với "
            f"Nhân dân, doanh nghiệp về cải cách thủ tục hành chính:"
        )
    else:
        held = (
            f"{_period_lead(period)}, {agency} không tổ chức hội nghị đối thoại nào với Nhân dân, "
            f"doanh nghiệp về cải cách thủ tục hành chính."
        )
    conferences = _table(
        "Các hội nghị đối thoại đã tổ chức",
        [("STT", NARROW, False), ("Ngày tổ chức", "c-date", False), ("Hội nghị", "", False)],
        [
            [str(n), short_date(c.held_on), c.title]
            for n, c in enumerate(figures.conferences, start=1)
        ],
    )
    recipients = [
        line
        for line in (
            _superior(ward),
            f"Thường trực Đảng ủy, HĐND {ward_word}",
            f"Ủy ban MTTQ {ward_word}",
            "Lưu: VT",
        )
        if line
    ]
    return {
        "language": LOCALE,
        "header": {
            "parent_agency": _nfc(ward.parent_agency).upper(),
            "agency_lines": list(ward.agency_lines),
            "number": f"{NUMBER_GAP}/{REPORT_TYPE}-{ward.issuer_code}",
            "place_date": vn_date(today, place=_nfc(ward.place_name)),
        },
        "title": "BÁO CÁO",
        "subject": subject,
        "opening": (
            f"Thực hiện quy định về tổ chức đối thoại giữa Chủ tịch Ủy ban nhân dân với Nhân dân, "
            f"doanh nghiệp về cải cách thủ tục hành chính, {agency} báo cáo kết quả tổ chức hội "
            f"nghị đối thoại {words} như sau:"
        ),
        "has_conferences": bool(count),
        "held": held,
        "conferences": conferences if count else None,
        "attendance": _attendance_section(figures) if count else None,
        "turns": _turns_section(figures) if count else None,
        "referrals": _referrals_section(figures) if count else None,
        "dossiers": _dossiers_section(figures),
        "satisfaction": _satisfaction_section(figures) if count else None,
        "charts": figure_charts(figures, LOCALE, look=PAPER),
        "closing": f"Trên đây là báo cáo kết quả tổ chức hội nghị đối thoại {words} của {agency}./.",
        "signature": {
            "lines": _minutes_lines("signatures.on_behalf") + _minutes_lines("signatures.chairman"),
            "name": "",
        },
        "recipients": recipients,
        "metadata": {
            "title": f"Báo cáo {subject[:1].lower()}{subject[1:]}",
            "author": f"UBND {ward.full_name}",
            "subject": subject,
            "keywords": ["báo cáo", "đối thoại", "cải cách thủ tục hành chính", ward.display_name],
        },
    }


def report_pdf(ward, period: Period, *, today: date) -> bytes:
    """The report on ``period`` as an A4 PDF, dated ``today`` (the ward's day)."""
    with force_locale(LOCALE):
        figures = ward_figures(ward, period, today=today, locale=LOCALE)
        return render_pdf(
            REPORT_TEMPLATE,
            stylesheets=REPORT_STYLESHEETS,
            doc=report_context(ward, figures, today=today),
        )
