"""Exports for staff: the speaking turns as rows (.xlsx, .csv), the minutes as a Word document.

These are working files for the ward's office, not published documents. The turns name the
speaker as recorded (a staff download, personal data allowed), but carry no asker contacts.
This module composes; the writers of ``dialogue.documents`` write (and neutralise anything a
spreadsheet would run, so that nothing typed ever becomes a formula, markup or a field).
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogue.conferences.models import Conference
from dialogue.core.dates import to_local
from dialogue.documents import csv as csv_writer
from dialogue.documents import docx as docx_writer
from dialogue.documents import xlsx as xlsx_writer
from dialogue.documents.cells import nfc
from dialogue.documents.composed import (
    Align,
    CellLine,
    Column,
    ComposedDocument,
    Kind,
    OfficialHeader,
    Paragraph,
    Properties,
    Recipients,
    RecipientsBesideSignature,
    Rows,
    Run,
    Signature,
    Signatures,
    Style,
    Table,
    TableColumn,
    cell,
)
from dialogue.live.models import Turn, TurnOutcome
from dialogue.live.operations import list_turns

XLSX_MIMETYPE = xlsx_writer.MIMETYPE
CSV_MIMETYPE = csv_writer.MIMETYPE
DOCX_MIMETYPE = docx_writer.MIMETYPE

# The exports are in Vietnamese whatever the interface language, like the documents.
OUTCOME_TITLES = {
    TurnOutcome.PENDING: "Chờ trả lời",
    TurnOutcome.ANSWERED: "Đã trả lời trực tiếp tại hội nghị",
    TurnOutcome.REFERRED: "Chuyển trả lời bằng văn bản",
}
STATUS_CURRENT = "Hiệu lực"
STATUS_WITHDRAWN = "Đã rút"
SHEET_TITLE = "Lượt phát biểu"

COLUMNS: tuple[Column, ...] = (
    Column("number", "STT", 6, kind=Kind.INTEGER),
    Column("speaker", "Người phát biểu", 22, wraps=True),
    Column("group", "Tổ dân phố / cơ quan, đơn vị", 24, wraps=True),
    Column("area_code", "Mã lĩnh vực", 11),
    Column("area_name", "Lĩnh vực thủ tục hành chính", 26, wraps=True),
    Column("question", "Nội dung ý kiến, kiến nghị", 50, wraps=True),
    Column("outcome", "Kết quả", 20, wraps=True),
    Column("answerer", "Người trả lời", 26, wraps=True),
    Column("answer", "Nội dung trả lời", 50, wraps=True),
    Column("referral_unit", "Đơn vị trả lời bằng văn bản", 24, wraps=True),
    Column("due_date", "Hạn trả lời", 12, kind=Kind.DATE),
    Column("note", "Ghi chú", 30, wraps=True),
    Column("updated_by", "Người sửa cuối", 22, wraps=True),
    Column("updated_at", "Thời điểm sửa cuối", 17, kind=Kind.DATETIME),
)
STATUS_COLUMNS: tuple[Column, ...] = (
    Column("status", "Trạng thái", 11),
    Column("withdrawn_reason", "Lý do rút", 30, wraps=True),
)


# -- the turns as rows ----------------------------------------------------------------------------


def _group_or_organisation(turn: Turn) -> str:
    parts = [turn.speaker_group.name if turn.speaker_group else "", turn.speaker_organisation]
    return " - ".join(nfc(part) for part in parts if part)


def turn_rows(conference: Conference, *, include_withdrawn: bool = False) -> list[dict]:
    """The turns in speaking order, numbered as the console numbers them (withdrawn: none)."""
    rows: list[dict] = []
    count = 0
    for turn in list_turns(conference):
        if turn.is_withdrawn and not include_withdrawn:
            continue
        number = None
        if not turn.is_withdrawn:
            count += 1
            number = count
        area = turn.procedure_area
        referred = turn.outcome is TurnOutcome.REFERRED
        rows.append(
            {
                "number": number,
                "speaker": nfc(turn.speaker_name),
                "group": _group_or_organisation(turn),
                "area_code": nfc(area.code) if area else "",
                "area_name": nfc(area.name_vi) if area else "",
                "question": nfc(turn.question),
                "outcome": OUTCOME_TITLES[turn.outcome],
                "answerer": nfc(turn.answerer_name),
                "answer": nfc(turn.answer),
                "referral_unit": nfc(turn.referral_unit.name)
                if referred and turn.referral_unit
                else "",
                "due_date": turn.referral_due_date if referred else None,
                "note": nfc(turn.referral_note),
                "updated_by": nfc(turn.updated_by.display_name) if turn.updated_by else "",
                # Spreadsheets have no time zones: the ward's local time, as staff read it.
                "updated_at": to_local(turn.updated_dt, conference.ward.timezone),
                "status": STATUS_WITHDRAWN if turn.is_withdrawn else STATUS_CURRENT,
                "withdrawn_reason": nfc(turn.withdrawn_reason) if turn.is_withdrawn else "",
            }
        )
    return rows


def columns_for(*, include_withdrawn: bool) -> tuple[Column, ...]:
    return COLUMNS + STATUS_COLUMNS if include_withdrawn else COLUMNS


def turns_sheet(conference: Conference, *, include_withdrawn: bool = False) -> Rows:
    agency = f"UBND {conference.ward.full_name}"
    return Rows(
        title=SHEET_TITLE,
        columns=columns_for(include_withdrawn=include_withdrawn),
        rows=turn_rows(conference, include_withdrawn=include_withdrawn),
        properties=Properties(
            title=f"{SHEET_TITLE} - {conference.title}",
            subject=conference.subject or conference.title,
            author=agency,
        ),
    )


def turns_csv(
    conference: Conference, *, include_withdrawn: bool = False, delimiter: str = csv_writer.COMMA
) -> bytes:
    sheet = turns_sheet(conference, include_withdrawn=include_withdrawn)
    return csv_writer.write_csv(sheet, delimiter=delimiter)


def turns_xlsx(conference: Conference, *, include_withdrawn: bool = False) -> bytes:
    return xlsx_writer.write_xlsx(turns_sheet(conference, include_withdrawn=include_withdrawn))


# -- the BB and TB as a composed document -------------------------------------------------------
#
# The same document as the PDF (templates/minutes/document_*.html), block by block.

TEXT_WIDTH_MM = docx_writer.TEXT_WIDTH_MM
DRAFT_MARK = "DỰ THẢO"
WORKING_COPY_NOTE = (
    "Bản làm việc xuất từ dự thảo hiện tại để hoàn thiện văn bản; không phải bản chính thức. "
    "Bản chính thức là bản PDF đã ban hành."
)
NUMBER_COLUMN = TableColumn("STT", 12, Align.CENTER)
CATEGORIES = {"BB": "Biên bản", "TB": "Thông báo"}


class _Minutes:
    """Turns one BB or TB context of ``compose.document_context`` into blocks."""

    def __init__(self, doc: dict):
        self.doc = doc
        self.blocks: list = []

    def add(self, block) -> None:
        self.blocks.append(block)

    def para(self, text: str, **options) -> None:
        self.add(Paragraph.of(text, **options))

    def paragraphs(self, lines: Sequence[str]) -> None:
        for line in lines:
            self.para(line)

    def item(self, label: str, text: str, *, keep: bool = False) -> None:
        runs = (Run(label, bold=True), Run(f" {text}" if text else ""))
        self.add(Paragraph(runs, keep_with_next=keep))

    def heading(self, number: int, text: str) -> None:
        self.para(f"{number}. {text}", style=Style.HEADING)

    def count_table(self, caption: str, first: str, rows: Sequence[dict], total=None) -> None:
        body = [
            (
                cell(str(index)),
                cell(row["label"]),
                cell(str(row["invited"])),
                cell(str(row["present"])),
            )
            for index, row in enumerate(rows, start=1)
        ]
        if total is not None:
            body.append(
                (
                    cell(""),
                    cell("Tổng cộng", bold=True),
                    cell(str(total["invited"]), bold=True),
                    cell(str(total["present"]), bold=True),
                )
            )
        columns = (
            NUMBER_COLUMN,
            TableColumn(first, TEXT_WIDTH_MM - 60),
            TableColumn("Được mời", 24, Align.RIGHT),
            TableColumn("Có mặt", 24, Align.RIGHT),
        )
        self.add(Table(columns, tuple(body), caption=caption, space_after=4))

    def figures_table(self, figures: dict) -> None:
        body = []
        for row in figures["rows"]:
            indent = 6 if row["level"] else 0
            label = [CellLine((Run(row["label"]),), indent)]
            if row["note"]:
                label.append(CellLine((Run(row["note"], italic=True, size=11),), indent))
            body.append((cell(row["number"]), tuple(label), cell(row["value"])))
        columns = (
            NUMBER_COLUMN,
            TableColumn("Chỉ tiêu", TEXT_WIDTH_MM - 42),
            TableColumn("Số liệu", 30, Align.RIGHT),
        )
        self.add(Table(columns, tuple(body), caption=figures["caption"], note=figures["note"]))
        if figures.get("other_results"):
            self.para("Kết quả khác trong kỳ:", keep_with_next=True)
            for line in figures["other_results"]:
                self.para(f"- {line}")

    def turns(self) -> None:
        for group in self.doc["turn_groups"]:
            if group["title"]:
                self.para(group["title"], style=Style.SUBHEADING)
            for turn in group["turns"]:
                area = f", lĩnh vực {turn['area']}" if not group["title"] and turn["area"] else ""
                runs = (
                    Run(f"Ý kiến {turn['number']}.", bold=True),
                    Run(f" {turn['speaker']}", bold=True),
                    Run(f" ({turn['affiliation']})" if turn["affiliation"] else ""),
                    Run(area),
                    Run(":"),
                )
                self.add(Paragraph(runs, keep_with_next=True, space_after=2))
                self.para(turn["question"])
                if turn["answer"]:
                    answerer = turn["answerer"] or "Lãnh đạo Ủy ban nhân dân"
                    runs = (Run(f"{answerer} trả lời:", italic=True), Run(f" {turn['answer']}"))
                    self.add(Paragraph(runs))
                if turn["referral"]:
                    self.para(turn["referral"], italic=True)
                if turn["referral_note"]:
                    self.para(f"Yêu cầu: {turn['referral_note']}", italic=True)
                if turn["outcome"] == TurnOutcome.PENDING.value:
                    self.para("Chưa ghi nhận nội dung trả lời.", italic=True)

    def tasks_table(self, tasks: Sequence[dict]) -> None:
        columns = (
            NUMBER_COLUMN,
            TableColumn("Nội dung nhiệm vụ", TEXT_WIDTH_MM - 80),
            TableColumn("Đơn vị chủ trì", 42),
            TableColumn("Thời hạn", 26, Align.CENTER),
        )
        rows = tuple(
            (cell(str(t["number"])), cell(t["content"]), cell(t["unit"]), cell(t["deadline"]))
            for t in tasks
        )
        self.add(Table(columns, rows, space_after=4))

    def referrals_table(self, referrals: Sequence[dict]) -> None:
        rows = []
        for item in referrals:
            who = f"Ý kiến {item['turn_number']}. {item['speaker']}"
            who += (f" (lĩnh vực {item['area']})" if item["area"] else "") + ":"
            content = [CellLine((Run(who, italic=True), Run(f" {item['question']}")))]
            if item["note"]:
                content.append(CellLine((Run(f"Yêu cầu: {item['note']}", italic=True, size=11),)))
            rows.append(
                (cell(str(item["number"])), tuple(content), cell(item["unit"]), cell(item["due"]))
            )
        columns = (
            NUMBER_COLUMN,
            TableColumn("Nội dung ý kiến, kiến nghị", TEXT_WIDTH_MM - 80),
            TableColumn("Đơn vị trả lời", 42),
            TableColumn("Hạn trả lời", 26, Align.CENTER),
        )
        self.add(Table(columns, tuple(rows)))

    def carried_table(self, carried: dict) -> None:
        rows = []
        for row in carried["rows"]:
            question = (CellLine((Run(row["source"], italic=True), Run(f" {row['question']}"))),)
            result = [CellLine((Run(row["result"]),))]
            if row["detail"]:
                result.append(CellLine((Run(row["detail"], italic=True, size=11),)))
            rows.append(
                (
                    cell(str(row["number"])),
                    question,
                    cell(row["unit"]),
                    cell(row["due"]),
                    tuple(result),
                )
            )
        headers = carried["columns"]
        columns = (
            TableColumn(headers["number"], NUMBER_COLUMN.width_mm, Align.CENTER),
            TableColumn(headers["question"], TEXT_WIDTH_MM - 106),
            TableColumn(headers["unit"], 30),
            TableColumn(headers["due"], 24, Align.CENTER),
            TableColumn(headers["result"], 40),
        )
        self.add(Table(columns, tuple(rows)))

    def carried_open(self, open_: dict) -> None:
        self.para(open_["lead"], keep_with_next=True)
        for line in open_["lines"]:
            self.para(line)
        self.para(open_["request"])

    # -- the two documents --

    def minutes(self) -> None:
        doc = self.doc
        attendance = doc["attendance"]
        self.item("Thời gian bắt đầu:", f"{doc['start']}.")
        self.item("Địa điểm:", f"{doc['venue'] or '…'}.")
        self.item("Thành phần tham dự:", "", keep=True)
        for person in attendance["leaders"]:
            self.para(f"- {person['text']};")
        self.para(
            "- Đại biểu các thành phần, Nhân dân và doanh nghiệp trên địa bàn. "
            + attendance["summary"]
        )
        if attendance["by_category"]:
            self.count_table(
                "Số đại biểu theo thành phần", "Thành phần", attendance["by_category"], attendance
            )
        if attendance["by_group"]:
            self.count_table(
                "Số người dự theo tổ dân phố", "Tổ dân phố", attendance["by_group"], attendance
            )
        chair = f"{doc['chair']['text']}, chủ tọa hội nghị" if doc["chair"] else "…"
        if doc["cochairs"]:
            chair += "; đồng chủ trì: " + ", ".join(
                p["text"][:1].lower() + p["text"][1:] for p in doc["cochairs"]
            )
        self.item("Chủ trì:", f"{chair}.")
        secretaries = ", ".join(doc["secretaries"]) if doc["secretaries"] else "…"
        self.item("Thư ký:", f"{secretaries}.")
        self.item("Nội dung:", "", keep=True)

        number = 0
        if doc["opening"]:
            number += 1
            self.heading(number, "Khai mạc hội nghị")
            self.paragraphs(doc["opening"])
        if doc["report_summary"] or doc["figures"]:
            number += 1
            self.heading(number, "Báo cáo kết quả công tác cải cách thủ tục hành chính")
            self.paragraphs(doc["report_summary"])
            if doc["figures"]:
                self.figures_table(doc["figures"])
        if doc.get("carried"):
            number += 1
            self.heading(number, doc["carried"]["heading"])
            self.para(doc["carried"]["summary"])
            self.carried_table(doc["carried"])
        number += 1
        self.heading(number, "Ý kiến phát biểu của đại biểu và trả lời tại hội nghị")
        self.para(doc["turn_summary"])
        self.turns()
        number += 1
        self.heading(number, "Kết luận của chủ tọa hội nghị")
        self.paragraphs(doc["conclusion"])
        if doc["tasks"]:
            self.para("Các nhiệm vụ cụ thể:", keep_with_next=True)
            self.tasks_table(doc["tasks"])
        self.para(doc["closing"], keep_with_next=True)

        signatures = doc["signatures"]
        self.add(Signatures(_signature(signatures["left"]), _signature(signatures["right"])))
        self.add(Recipients(tuple(doc["recipients"])))
        self.recorded_note()

    def notice(self) -> None:
        doc = self.doc
        self.paragraphs(doc["opening"])
        number = 0
        if doc["conclusion"] or doc.get("satisfaction"):
            number += 1
            self.heading(number, "Đánh giá chung")
            self.paragraphs(doc["conclusion"])
            if doc.get("satisfaction"):
                self.para(doc["satisfaction"])
        if doc["tasks"]:
            number += 1
            self.heading(number, "Nhiệm vụ trọng tâm thời gian tới")
            self.tasks_table(doc["tasks"])
        if doc["referrals"]:
            number += 1
            self.heading(number, "Các ý kiến, kiến nghị chuyển trả lời bằng văn bản")
            self.referrals_table(doc["referrals"])
            self.para(
                "Các đơn vị được giao có trách nhiệm trả lời bằng văn bản cho tổ chức, công dân "
                "đúng thời hạn nêu trên.",
                space_before=6,
            )
        carried_open = (doc.get("carried") or {}).get("open")
        if carried_open:
            number += 1
            self.heading(number, carried_open["heading"])
            self.carried_open(carried_open)
        number += 1
        self.heading(number, "Công khai kết quả hội nghị")
        self.para(doc["publication"])
        self.para(doc["closing"], keep_with_next=True)
        self.add(
            RecipientsBesideSignature(
                Recipients(tuple(doc["recipients"])), _signature(doc["signatures"]["right"])
            )
        )
        self.recorded_note()

    def recorded_note(self) -> None:
        if self.doc.get("recorded_note"):
            self.para(self.doc["recorded_note"], italic=True, style=Style.NOTE, space_before=12)

    def compose(self) -> ComposedDocument:
        doc = self.doc
        if doc["doc_type"] == "BB":
            self.minutes()
        else:
            self.notice()
        header = doc["header"]
        metadata = doc["metadata"]
        return ComposedDocument(
            header=OfficialHeader(
                agency_lines=tuple(header["agency_lines"]),
                number_text=header["number_text"],
                nation=header["nation"],
                motto=header["motto"],
                parent_agency=header.get("parent_agency") or "",
                place_date=header.get("place_date") or "",
            ),
            title=doc["title"],
            subject=doc["subject"],
            blocks=tuple(self.blocks),
            properties=Properties(
                title=metadata["title"],
                subject=metadata["subject"],
                author=metadata["author"],
                keywords=tuple(metadata["keywords"]),
                category=CATEGORIES[doc["doc_type"]],
                comments=WORKING_COPY_NOTE,
            ),
            draft_mark=DRAFT_MARK if doc.get("is_draft") else "",
        )


def _signature(block: dict | None) -> Signature | None:
    if not block:
        return None
    return Signature(tuple(block["lines"]), block.get("name") or "")


def minutes_document(doc: dict) -> ComposedDocument:
    """The ``compose.document_context`` of a BB or TB as a composed document; no database."""
    return _Minutes(doc).compose()


def render_docx(doc: dict) -> bytes:
    """Lay out a ``compose.document_context`` as a .docx; touches no database."""
    return docx_writer.write_docx(minutes_document(doc))


def minutes_context(conference: Conference, doc_type) -> dict:
    """The document of the conference's current draft, or of the default texts when none.

    Once published, the draft keeps its number (and, for the notice, its date): the Word
    file is the current text with the number it was published under.
    """
    from dialogue.minutes.compose import document_context, draft_or_defaults
    from dialogue.minutes.operations import find_draft

    found = find_draft(conference, doc_type)
    draft = draft_or_defaults(conference, doc_type, found)
    latest = found.latest if found is not None else None
    return document_context(
        conference,
        draft,
        number_label=latest.number_label if latest else None,
        published_dt=latest.published_dt if latest else None,
    )


def minutes_docx(conference: Conference, doc_type) -> bytes:
    """The BB or TB of ``conference`` as a Word file to finish in the office."""
    return render_docx(minutes_context(conference, doc_type))
