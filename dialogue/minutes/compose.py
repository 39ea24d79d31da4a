"""What the biên bản (BB) and the thông báo kết luận (TB) say, gathered from the records.

``document_context`` reads the conference once and returns plain data — strings, numbers,
lists and dicts, nothing lazy — that the HTML and PDF templates (``render.py``) and the .docx
export lay out. The documents are official Vietnamese, written here directly, not translated;
only ``missing_parts`` speaks the user's language.

Everything typed by people (the narrative parts, questions, answers, names) stays plain text
here; the templates escape it.

The context, key by key (``doc`` in the templates)::

    doc_type            "BB" or "TB"
    is_draft            True without a number: "Số: …/BB-UBND" and the "DỰ THẢO" mark
    language            "vi"
    header              parent_agency, agency_lines [..], number ("05/BB-UBND" or "…/BB-UBND"),
                        number_text ("Số: 05/BB-UBND"), nation, motto, place_date
    title, subject      "BIÊN BẢN" / "THÔNG BÁO" and the line under it
    start, venue        "8 giờ 00 phút, ngày 30 tháng 6 năm 2020", "Hội trường …"
    attendance          present, invited, present_invited, uninvited, excused, summary,
                        by_category [rows], by_group [rows] (row: label, invited, present,
                        excused, uninvited), leaders [people]
    chair, reporter     a person (name, title, text) or None; cochairs [people]
    secretaries         [display names]; secretary: the one who signs ("" if none)
    opening, report_summary, conclusion      [paragraphs]
    figures             None or caption, rows [number, key, label, value, level, is_rate,
                        note], note, other_results [lines the reporter wrote]
    turn_order          "by_area" or "speaking"
    turn_groups         [title, code, name, turns [turn]]; one untitled group in speaking order
    turn (each)         number, position, speaker, affiliation, area, question, outcome
                        ("answered" | "referred" | "pending"), answerer, answer, referral
                        (the sentence), referral_unit, referral_due, referral_note
    turn_count, turn_summary
    tasks               [number, content, unit, deadline ("31/12/2020" or "Thường xuyên")]
    referrals           [number, turn_number, speaker, area, question, unit, due, note]
    carried             None when nothing is to be reported, else the earlier conferences'
                        referrals as at this conference's date (``followup.carryover``):
                        heading, summary (the sentence), columns {number, question, unit,
                        due, result}, counts {total, answered, on_time, late, unanswered,
                        overdue}, rows [number, source, question, unit, due, outcome,
                        result, detail, detail_parts (before, letter number, after)],
                        open: what the TB repeats (None, or heading, lead, lines, request)
    closing             the closing sentence (BB) or the notice's last sentence (TB)
    publication         TB: how the notice is made public
    signatures          left (BB only) and right: lines [UPPER CASE], name
    recipients          [lines without "- " and ";" — the recipients macro adds them]
    metadata            title, author, language, subject, keywords [..]
    version, public_url, public_code, published_dt (ISO text), published_on ("03/7/2020")
    verification        None, or url, code, version, published_on (the PDF's last page)
    survey              None, or url, until: the survey's QR code beside it, while still open
    satisfaction        TB: None, or the paragraph on the satisfaction survey's results
    recorded_note       "" or the note of a conference typed in afterwards (its last line)

The secretary who signs a BB (THƯ KÝ) is the one who submitted the draft when they are one
of the conference's secretaries, otherwise the first of them by name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from dialogue.attendance.models import AttendanceStatus, Attendee
from dialogue.attendance.operations import count_attendance
from dialogue.conferences.models import ConclusionTask, Conference
from dialogue.content import wording
from dialogue.core.dates import to_local, vn_date, vn_datetime, vn_time
from dialogue.core.db import utcnow
from dialogue.core.text import normalize_text
from dialogue.documents.models import DocumentType
from dialogue.dossier.figures import figures_of, format_count, format_rate
from dialogue.dossier.operations import report_of
from dialogue.extensions import db
from dialogue.feedback.survey import minutes_survey_link, satisfaction_paragraph
from dialogue.followup.carryover import CarriedReferral, CarriedReferrals, earlier_referrals
from dialogue.followup.models import Timeliness
from dialogue.live.models import REFERRAL_DAYS, Turn, TurnOutcome

LOCALE = "vi"
NUMBER_PLACEHOLDER = "…"
MAX_TITLE_LENGTH = 255
# Delegate categories whose present members the BB names one by one (officials, not residents).
LEADER_CATEGORY_CODES = ("CAP_TREN", "DANG_UY", "TT_HDND", "UBND", "MTTQ", "DOAN_THE")


def _text(key: str, **values) -> str:
    """A sentence of the documents' wording (``dialogue/content/minutes.vi.toml``)."""
    return wording("minutes.vi")(key, **values)


def _lines(key: str, **values) -> list[str]:
    return wording("minutes.vi").lines(key, **values)


# -- small helpers ------------------------------------------------------------------------------


def _doc_type(value) -> DocumentType:
    doc_type = DocumentType(getattr(value, "value", value))
    if doc_type not in (DocumentType.MINUTES, DocumentType.NOTICE):
        raise ValueError(f"not a minutes document type: {doc_type}")
    return doc_type


def short_date(value: date) -> str:
    """Write a date inside a sentence: "07/02/2020", "10/7/2020" (Nghị định 30's zeros)."""
    day = f"{value.day:02d}" if value.day < 10 else str(value.day)
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"{day}/{month}/{value.year}"


def _count(value: int) -> str:
    return format_count(value, LOCALE)


def paragraphs(text: str | None) -> list[str]:
    """Split plain text into paragraphs, one a line, each NFC-normalised; blank lines dropped."""
    if not text:
        return []
    return [line for line in (normalize_text(line) for line in text.splitlines()) if line]


def recipient_lines(text: str | None) -> list[str]:
    """The "Nơi nhận" lines without the "- " and ";" the layout adds itself."""
    lines = []
    for line in paragraphs(text):
        line = line.lstrip("-–—+• ").rstrip(" ;.,")
        if line:
            lines.append(line)
    return lines


def _nfc(value: str | None) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


def _keep_numbers_with_units(text: str) -> str:
    """Join a number to the word it counts, so that "6 tháng" never breaks across lines."""
    return _NUMBER_AND_UNIT.sub("\\1\u00a0\\2", text)


_NUMBER_AND_UNIT = re.compile(r"(\d+) (tháng|năm|ngày|quý|giờ|lần)\b")


def _lower_first(text: str) -> str:
    """Lower the first letter of a title set into a sentence; an acronym ("UBND") stays."""
    first_word = text.split(maxsplit=1)[0] if text.strip() else ""
    if len(first_word) > 1 and first_word.isupper():
        return text
    return text[:1].lower() + text[1:] if text else text


def _subject(conference: Conference) -> str:
    return _nfc(conference.subject or conference.title).rstrip(" .;")


# Words that show a title already names its body: "Chủ tịch UBND phường" needs nothing more.
_BODY_WORDS = ("phường", "xã", "đặc khu", "ubnd", "hđnd", "ủy ban", "mttq", "đảng", "hội", "đoàn")


def _office_title(title: str, organisation: str) -> str:
    """A title with its body: "Chủ tịch" of "Ủy ban MTTQ phường" reads "Chủ tịch Ủy ban MTTQ phường".

    Two bare "Chủ tịch" in "Thành phần tham dự" would not say who is who.
    """
    title, organisation = _nfc(title), _nfc(organisation)
    if not organisation:
        return title
    if not title:
        return organisation
    folded = title.casefold()
    if any(word in folded for word in _BODY_WORDS):
        return title
    return f"{title} {organisation}"


def _person(name: str, title: str = "", organisation: str = "") -> dict:
    name, title = _nfc(name), _office_title(title, organisation)
    label = f"{name} - {title}" if title else name
    return {
        "name": name,
        "title": title,
        "label": label,
        "text": _text("attendance.person", label=label),
    }


def _person_of(person) -> dict | None:
    if person is None:
        return None
    return _person(person.full_name, person.title, person.organisation)


def _label(person) -> str:
    return _person_of(person)["label"]


def _chair_role(conference: Conference) -> str:
    """The chair's office as signed: "Chủ tịch UBND phường" from "Phó Bí thư …, Chủ tịch UBND phường"."""
    title = _nfc(conference.chair.title) if conference.chair else ""
    for part in reversed(title.split(",")):
        part = part.strip()
        if "chủ tịch" in part.casefold():
            return part
    return ""


def _is_vice(role: str) -> bool:
    return role.casefold().startswith("phó chủ tịch")


# -- attendance --------------------------------------------------------------------------------


def _count_row(row) -> dict:
    return {
        "label": row.label,
        "invited": row.invited,
        "present": row.present,
        "excused": row.excused,
        "uninvited": row.uninvited,
    }


def _leaders(conference: Conference, named: Iterable[dict], named_ids: set[int]) -> list[dict]:
    """Chair, co-chairs, reporter, then the present officials of the leaders' categories."""
    ward = conference.ward
    order = {c.id: (c.position, c.id) for c in ward.delegate_categories}
    leader_ids = {c.id for c in ward.delegate_categories if c.code in LEADER_CATEGORY_CODES}
    leaders = list(named)
    if not leader_ids:
        return leaders
    present = db.session.scalars(
        sa.select(Attendee).where(
            Attendee.conference_id == conference.id,
            Attendee.status == AttendanceStatus.PRESENT,
            Attendee.delegate_category_id.in_(leader_ids),
        )
    ).all()
    present = sorted(
        (a for a in present if a.person_id is None or a.person_id not in named_ids),
        key=lambda a: (order.get(a.delegate_category_id, (0, 0)), a.id),
    )
    leaders += [_person(a.full_name, a.title, a.organisation) for a in present]
    return leaders


def _count_rows(rows, none_key: str, none_label: str) -> list[dict]:
    """The count rows as the document shows them, the row of "none" named as the office does."""
    shown = []
    for row in rows:
        data = _count_row(row)
        if row.key == none_key:
            data["label"] = none_label
        shown.append(data)
    return shown


def _attendance(conference: Conference, leaders: list[dict]) -> dict:
    counts = count_attendance(conference, locale=LOCALE)
    total = counts.total
    by_category = _count_rows(counts.by_category, "category-none", _text("attendance.no_category"))
    by_group = _count_rows(counts.by_group, "group-none", _text("attendance.no_group"))
    present_invited = total.present - total.uninvited
    summary = _text("attendance.present", present=_count(total.present))
    details = []
    if total.invited:
        details.append(
            _text(
                "attendance.invited",
                present_invited=_count(present_invited),
                invited=_count(total.invited),
            )
        )
    if total.uninvited:
        details.append(_text("attendance.uninvited", uninvited=_count(total.uninvited)))
    if details:
        summary += f" ({'; '.join(details)})"
    if total.excused:
        summary += _text("attendance.excused", excused=_count(total.excused))
    return {
        "present": total.present,
        "invited": total.invited,
        "present_invited": present_invited,
        "uninvited": total.uninvited,
        "excused": total.excused,
        "summary": summary + ".",
        "by_category": by_category,
        "by_group": by_group,
        "leaders": leaders,
    }


# -- dossier figures ---------------------------------------------------------------------------


def _figures(conference: Conference) -> dict | None:
    report = report_of(conference)
    if report is None:
        return None
    figures = figures_of(report, locale=LOCALE)
    labels = wording("minutes.vi").table("figures.labels")
    rows = []
    number = 0
    for row in figures.table_rows():
        if row.level == 0:
            number += 1
        note = ""
        if row.key == "early":
            note = _text(
                "figures.early",
                count=_count(figures.early_count or 0),
                base=_count(figures.early_base or 0),
            )
            details = "; ".join(
                part
                for part in (_nfc(figures.early_measure), _nfc(figures.early_base_definition))
                if part
            )
            if details:
                note += f" ({details})"
        rows.append(
            {
                "number": str(number) if row.level == 0 else "",
                "key": row.key,
                "label": labels.get(row.key, str(row.label)),
                "value": format_rate(row.value, LOCALE)
                if row.is_rate
                else format_count(row.value, LOCALE),
                "level": row.level,
                "is_rate": row.is_rate,
                "note": note,
            }
        )
    caption = _text("figures.caption")
    if conference.reporting_period:
        caption += f" {_nfc(conference.reporting_period)}"
    if figures.cutoff_date:
        caption += _text("figures.cutoff", date=short_date(figures.cutoff_date))
    return {
        "caption": caption,
        "rows": rows,
        "note": _text("figures.note"),
        "other_results": paragraphs(report.other_results),
        "received": figures.counts.received,
        "received_online": figures.counts.received_online,
        "resolved": figures.counts.resolved,
        "resolved_in_time": figures.counts.resolved_in_time,
        "pending_within": figures.counts.pending_within,
        "overdue": figures.counts.resolved_late + figures.counts.pending_overdue,
        "online_share": format_rate(figures.rates.online_share, LOCALE),
        "on_time_resolved": format_rate(figures.rates.on_time_resolved, LOCALE),
    }


# -- turns, tasks, referrals -------------------------------------------------------------------


def _in_speaking_order(stmt: sa.Select) -> sa.Select:
    """The current turns (none withdrawn) of ``stmt`` in the order they were spoken."""
    return stmt.where(Turn.withdrawn_dt.is_(None)).order_by(Turn.position, Turn.id)


def _turns(conference: Conference) -> list[Turn]:
    return list(
        db.session.scalars(
            _in_speaking_order(sa.select(Turn).where(Turn.conference_id == conference.id)).options(
                joinedload(Turn.speaker_group),
                joinedload(Turn.procedure_area),
                joinedload(Turn.referral_unit),
            )
        )
    )


def turn_numbers(conference_ids: Iterable[int]) -> dict[int, int]:
    """The number each current turn of these conferences has in its minutes, by turn id.

    The minutes number a conference's turns 1, 2, … in speaking order, withdrawn ones left
    out (``_turn_groups``); the BB, the TB, the exports and the public pages give a turn
    this number, and so does the next conference that reports what became of it.
    """
    rows = db.session.execute(
        _in_speaking_order(
            sa.select(Turn.id, Turn.conference_id).where(
                Turn.conference_id.in_(list(conference_ids))
            )
        )
    )
    numbers: dict[int, int] = {}
    counts: dict[int, int] = {}
    for turn_id, conference_id in rows:
        counts[conference_id] = counts.get(conference_id, 0) + 1
        numbers[turn_id] = counts[conference_id]
    return numbers


def _referral_sentence(turn: Turn) -> str:
    unit = _nfc(turn.referral_unit.name) if turn.referral_unit else _text("turns.some_unit")
    if turn.referral_due_date:
        return _text("turns.referral_due", unit=unit, date=short_date(turn.referral_due_date))
    return _text("turns.referral", unit=unit)


def _turn(turn: Turn, number: int) -> dict:
    speaker = _nfc(turn.document_speaker)
    affiliation = ""
    if turn.speaker_organisation:
        affiliation = _nfc(turn.speaker_organisation)
    elif turn.speaker_group is not None:
        affiliation = _nfc(turn.speaker_group.name)
    # "Công dân tổ dân phố số 9" already says where the speaker comes from.
    if affiliation and affiliation.casefold() in speaker.casefold():
        affiliation = ""
    referred = turn.outcome is TurnOutcome.REFERRED
    return {
        "number": number,
        "position": turn.position,
        "speaker": speaker,
        "affiliation": affiliation,
        "area": _nfc(turn.procedure_area.name_vi) if turn.procedure_area else "",
        "question": _nfc(turn.question),
        "outcome": turn.outcome.value,
        "answerer": _nfc(turn.answerer_name),
        "answer": _nfc(turn.answer),
        "referral": _referral_sentence(turn) if referred else "",
        "referral_unit": _nfc(turn.referral_unit.name) if referred and turn.referral_unit else "",
        "referral_due": short_date(turn.referral_due_date)
        if referred and turn.referral_due_date
        else "",
        "referral_note": _nfc(turn.referral_note) if referred else "",
    }


def _turn_groups(turns: list[Turn], by_area: bool) -> list[dict]:
    """The turns in speaking order, or grouped by area; numbered by speaking order either way.

    A turn keeps its number in the BB, the TB, the exports and the public pages.
    """
    numbers = {turn.id: number for number, turn in enumerate(turns, start=1)}
    if not by_area:
        return [
            {
                "title": "",
                "code": "",
                "name": "",
                "turns": [_turn(t, numbers[t.id]) for t in turns],
            }
        ]
    areas: dict[int | None, list[Turn]] = {}
    for turn in turns:
        areas.setdefault(turn.procedure_area_id, []).append(turn)

    def area_key(area_id):
        if area_id is None:
            return (1, 0, 0)
        area = areas[area_id][0].procedure_area
        return (0, area.position, area.id)

    groups = []
    for area_id in sorted(areas, key=area_key):
        members = areas[area_id]
        area = members[0].procedure_area if area_id is not None else None
        numbered = [_turn(turn, numbers[turn.id]) for turn in members]
        if area is None:
            title = _text("turns.other_area")
            groups.append({"title": title, "code": "", "name": "", "turns": numbered})
        else:
            name, code = _nfc(area.name_vi), _nfc(area.code)
            groups.append(
                {
                    # The area's name only: its code is the office's, not the reader's.
                    "title": _text("turns.area", name=name),
                    "code": code,
                    "name": name,
                    "turns": numbered,
                }
            )
    return groups


def _turn_summary(turns: list[Turn]) -> str:
    if not turns:
        return _text("turns.none")
    by_outcome = {outcome: 0 for outcome in TurnOutcome}
    for turn in turns:
        by_outcome[turn.outcome] += 1
    parts = [
        _text(f"turns.{outcome.value}", count=by_outcome[outcome])
        for outcome in (TurnOutcome.ANSWERED, TurnOutcome.REFERRED, TurnOutcome.PENDING)
        if by_outcome[outcome]
    ]
    return _text("turns.summary", count=len(turns), parts=", ".join(parts))


def _tasks(conference: Conference) -> list[dict]:
    tasks = db.session.scalars(
        sa.select(ConclusionTask)
        .where(ConclusionTask.conference_id == conference.id)
        .options(selectinload(ConclusionTask.unit))
        .order_by(ConclusionTask.position, ConclusionTask.id)
    ).all()
    return [
        {
            "number": number,
            "content": _nfc(task.content),
            "unit": _nfc(task.unit.name) if task.unit else "",
            "deadline": short_date(task.deadline) if task.deadline else _text("tasks.standing"),
        }
        for number, task in enumerate(tasks, start=1)
    ]


def _referrals(turn_groups: list[dict]) -> list[dict]:
    referred = [
        turn
        for group in turn_groups
        for turn in group["turns"]
        if turn["outcome"] == TurnOutcome.REFERRED.value
    ]
    referred.sort(key=lambda turn: turn["number"])
    return [
        {
            "number": number,
            # The turn's own number, as the BB, the exports and the public pages give it.
            "turn_number": turn["number"],
            "speaker": turn["speaker"],
            "area": turn["area"],
            "question": turn["question"],
            "unit": turn["referral_unit"],
            "due": turn["referral_due"],
            "note": turn["referral_note"],
        }
        for number, turn in enumerate(referred, start=1)
    ]


# -- what became of the earlier conferences' referrals ------------------------------------------


def _two_digits(value: int) -> str:
    """Write a count as a report does: "03 kiến nghị", "12 ngày"."""
    return f"{value:02d}"


def _carried_summary(carried: CarriedReferrals) -> str:
    """The sentence that opens the part: how many were referred, answered and still open."""
    date_text = short_date(carried.previous_date)
    if carried.from_previous:
        text = _text("carried.previous", date=date_text, count=_two_digits(carried.from_previous))
        if carried.from_older:
            text += _text("carried.older", count=_two_digits(carried.from_older))
    else:
        text = _text("carried.previous_none", date=date_text)
        text += _text("carried.older_alone", count=_two_digits(carried.from_older))
    if carried.answered:
        if carried.on_time and carried.late:
            detail = _text(
                "carried.on_time_and_late",
                on_time=_two_digits(carried.on_time),
                late=_two_digits(carried.late),
            )
        else:
            detail = _text("carried.all_on_time" if carried.on_time else "carried.all_late")
        key = "carried.answered" if carried.unanswered else "carried.answered_all"
        text += _text(key, answered=_two_digits(carried.answered), detail=detail)
    if carried.unanswered:
        if not carried.overdue:
            detail = _text("carried.within")
        elif carried.overdue == 1 and carried.unanswered == 1:
            days = carried.still_open[0].days_late
            detail = _text("carried.one_overdue", days=_two_digits(days))
        elif carried.overdue == carried.unanswered:
            detail = _text("carried.all_overdue")
        else:
            detail = _text("carried.some_overdue", overdue=_two_digits(carried.overdue))
        key = "carried.unanswered" if carried.answered else "carried.none_answered"
        text += _text(key, count=_two_digits(carried.unanswered), detail=detail)
    return _keep_numbers_with_units(text + ".")


def _carried_result(item: CarriedReferral) -> tuple[str, str]:
    """The outcome of one referral as the table gives it, and the answer under it."""
    days = _two_digits(item.days_late)
    result = {
        Timeliness.ON_TIME: _text("carried.row.on_time"),
        Timeliness.LATE: _text("carried.row.late", days=days),
        Timeliness.OPEN: _text("carried.row.open"),
        Timeliness.OVERDUE: _text("carried.row.overdue", days=days),
    }[item.outcome]
    detail = ""
    if item.letter_number and item.letter_date:
        detail = _text(
            "carried.row.letter_dated",
            number=item.letter_number,
            date=short_date(item.letter_date),
        )
    elif item.letter_number:
        detail = _text("carried.row.letter", number=item.letter_number)
    elif item.answered_on:
        detail = _text("carried.row.published", date=short_date(item.answered_on))
    return result, detail


def _carried_row(number: int, item: CarriedReferral) -> dict:
    date_text = short_date(item.conference_date)
    if item.turn_number is not None:
        source = _text("carried.row.source", date=date_text, turn=item.turn_number)
    else:
        source = _text("carried.row.source_unnumbered", date=date_text)
    result, detail = _carried_result(item)
    result = _keep_numbers_with_units(result)
    return {
        "number": number,
        "source": source,
        "question": item.question,
        "unit": item.unit,
        "due": short_date(item.due_date),
        "outcome": item.outcome.value,
        "result": result,
        "detail": detail,
        # The letter's number is kept on one line: "125/UBND-ĐC" would break at "/" or "-".
        "detail_parts": list(detail.partition(item.letter_number))
        if item.letter_number and item.letter_number in detail
        else [detail, "", ""],
    }


def _with_last(items: list[str]):
    return ((item, index == len(items) - 1) for index, item in enumerate(items))


def _carried_notice(carried: CarriedReferrals) -> dict | None:
    """What the TB repeats: the referrals still unanswered, and a new date to answer by."""
    still_open = carried.still_open
    if not still_open:
        return None
    items = []
    for item in still_open:
        values = {
            "question": item.question.rstrip(" .;:"),
            "date": short_date(item.conference_date),
            "unit": item.unit or _text("turns.some_unit"),
            "due": short_date(item.due_date),
        }
        if item.turn_number is not None:
            line = _text("carried.notice.item", turn=item.turn_number, **values)
        else:
            line = _text("carried.notice.item_unnumbered", **values)
        if item.outcome is Timeliness.OVERDUE:
            line += _text("carried.notice.item_overdue", days=_two_digits(item.days_late))
        items.append(_keep_numbers_with_units(line))
    # A list inside a sentence: "- …;" a line, the last one closing it with a full stop.
    items = [f"- {line}{'.' if last else ';'}" for line, last in _with_last(items)]
    answer_by = carried.as_of + timedelta(days=REFERRAL_DAYS)
    return {
        "heading": _text("carried.notice.heading"),
        "lead": _text("carried.notice.lead", count=_two_digits(len(still_open))),
        "lines": items,
        "request": _text("carried.notice.request", date=short_date(answer_by)),
    }


def _carried(conference: Conference) -> dict | None:
    """The earlier conferences' referrals this conference reports; None when there are none."""
    carried = earlier_referrals(conference)
    if not carried:
        return None
    return {
        "heading": _text("carried.heading"),
        "summary": _carried_summary(carried),
        "columns": wording("minutes.vi").table("carried.columns"),
        "counts": {
            "total": carried.total,
            "answered": carried.answered,
            "on_time": carried.on_time,
            "late": carried.late,
            "unanswered": carried.unanswered,
            "overdue": carried.overdue,
        },
        "rows": [_carried_row(number, item) for number, item in enumerate(carried.items, start=1)],
        "open": _carried_notice(carried),
    }


# -- the document -------------------------------------------------------------------------------


def _closing(conference: Conference) -> str:
    end = conference.end_dt
    if end is None:
        return _text("closing.ended_unknown")
    tz = conference.ward.timezone
    if to_local(end, tz).date() == to_local(conference.held_start_dt, tz).date():
        return _text("closing.ended_same_day", time=vn_time(end, tz))
    return _text("closing.ended", when=vn_datetime(end, tz))


def _secretary(conference: Conference, draft) -> str:
    secretaries = list(conference.secretaries)
    submitter = getattr(draft, "submitted_by", None) if draft is not None else None
    if submitter is not None and submitter in secretaries:
        return _nfc(submitter.display_name)
    return _nfc(secretaries[0].display_name) if secretaries else ""


def _signatures(conference: Conference, doc_type: DocumentType, secretary: str) -> dict:
    chair_name = _nfc(conference.chair.full_name) if conference.chair else ""
    role = _chair_role(conference)
    if doc_type is DocumentType.MINUTES:
        lines = _lines("signatures.chair")
        if role and ("ubnd" in role.casefold() or "ủy ban" in role.casefold()):
            lines.append(role.upper())
        return {
            "left": {"lines": _lines("signatures.secretary"), "name": secretary},
            "right": {"lines": lines, "name": chair_name},
        }
    lines = _lines("signatures.on_behalf")
    lines += _lines("signatures.vice_chairman" if _is_vice(role) else "signatures.chairman")
    return {"left": None, "right": {"lines": lines, "name": chair_name}}


def _notice_subject(conference: Conference) -> str:
    subject = _lower_first(_subject(conference))
    return _text("header.notice_subject", office=_office(conference), subject=subject)


def _office(conference: Conference) -> str:
    """The chair's office, named as the documents name it."""
    return _chair_role(conference) or _text(
        "header.chair_office", ward_word=conference.ward.kind.word
    )


def _metadata(conference: Conference, doc_type: DocumentType, subject: str, number: str) -> dict:
    ward = conference.ward
    if doc_type is DocumentType.MINUTES:
        title = _text("metadata.minutes_title", subject=subject)
        keywords = _lines("metadata.minutes_keywords")
    else:
        title = _text("metadata.notice_title", subject=_lower_first(subject))
        keywords = _lines("metadata.notice_keywords")
    if number:
        title = _text("metadata.numbered", title=title, number=number)
    year = to_local(conference.held_start_dt, ward.timezone).year
    keywords += [*_lines("metadata.keywords"), ward.full_name, str(year)]
    return {
        "title": title[:MAX_TITLE_LENGTH],
        "author": _text("metadata.author", ward=ward.full_name),
        "language": LOCALE,
        "subject": subject,
        "keywords": keywords,
    }


def _texts(conference: Conference, doc_type: DocumentType, draft) -> dict:
    if draft is None:
        return default_texts(conference, doc_type)
    return {
        "opening": draft.opening or "",
        "report_summary": draft.report_summary or "",
        "conclusion": draft.conclusion or "",
        "recipients": draft.recipients or "",
    }


def _turn_order(draft) -> str:
    order = getattr(draft, "turn_order", None)
    return getattr(order, "value", order) or "speaking"


def document_context(
    conference: Conference,
    draft,
    *,
    number_label: str | None = None,
    version: int | None = None,
    public_url: str | None = None,
    public_code: str | None = None,
    published_dt: datetime | None = None,
) -> dict:
    """Gather everything the BB or TB of ``draft`` shows, as plain data (see the module doc).

    ``draft`` is a ``MinutesDraft`` (``draft_or_defaults`` gives an unsaved one with the
    default texts). Without ``number_label`` the document is a draft: "Số: …/BB-UBND".
    """
    if draft is None:
        raise ValueError("no draft: pass draft_or_defaults(conference, doc_type)")
    return _compose(
        conference,
        _doc_type(draft.doc_type),
        draft,
        number_label=number_label,
        version=version,
        public_url=public_url,
        public_code=public_code,
        published_dt=published_dt,
    )


def _compose(
    conference: Conference,
    doc_type: DocumentType,
    draft,
    *,
    number_label: str | None,
    version: int | None,
    public_url: str | None,
    public_code: str | None,
    published_dt: datetime | None,
) -> dict:
    ward = conference.ward
    tz = ward.timezone
    texts = _texts(conference, doc_type, draft)
    number = number_label or f"{NUMBER_PLACEHOLDER}/{doc_type.value}-{ward.issuer_code}"
    if doc_type is DocumentType.MINUTES:
        place_date = vn_date(conference.held_start_dt, place=ward.place_name, tz=tz)
        title, subject = _text("header.minutes_title"), _subject(conference)
    else:
        if conference.is_recorded_afterwards:
            # Typed in from the paper file: dated as the results were posted (or as held).
            day = conference.results_posted_on or conference.held_start_local.date()
            place_date = vn_date(day, place=ward.place_name)
        elif published_dt is not None:
            place_date = vn_date(published_dt, place=ward.place_name, tz=tz)
        else:
            place_date = _text("header.undated", place=ward.place_name)
        title, subject = _text("header.notice_title"), _notice_subject(conference)

    chair = _person_of(conference.chair)
    cochairs = [_person_of(person) for person in conference.cochairs]
    reporter = _person_of(conference.reporter)
    named_people = [p for p in (conference.chair, *conference.cochairs, conference.reporter) if p]
    named_ids = {p.id for p in named_people}
    seen: set[int] = set()
    named = []
    for person in named_people:
        if person.id not in seen:
            seen.add(person.id)
            named.append(_person_of(person))
    attendance = _attendance(conference, _leaders(conference, named, named_ids))

    turns = _turns(conference)
    turn_order = _turn_order(draft)
    groups = _turn_groups(turns, by_area=turn_order != "speaking")
    secretary = _secretary(conference, draft)
    published_on = short_date(to_local(published_dt, tz).date()) if published_dt else ""
    verification = None
    if public_url:
        verification = {
            "url": public_url,
            "code": public_code or "",
            "version": version or 1,
            "published_on": published_on,
        }
    return {
        "doc_type": doc_type.value,
        "is_draft": number_label is None,
        "language": LOCALE,
        "header": {
            "parent_agency": _nfc(ward.parent_agency).upper(),
            "agency_lines": list(ward.agency_lines),
            "number": number,
            "number_text": f"Số: {number}",
            "nation": _text("header.nation"),
            "motto": _text("header.motto"),
            "place_date": place_date,
        },
        "title": title,
        "subject": _keep_numbers_with_units(subject),
        "start": vn_datetime(conference.held_start_dt, tz),
        "start_date": short_date(to_local(conference.held_start_dt, tz).date()),
        "venue": _nfc(conference.venue),
        "attendance": attendance,
        "chair": chair,
        "cochairs": cochairs,
        "reporter": reporter,
        "secretaries": [_nfc(user.display_name) for user in conference.secretaries],
        "secretary": secretary,
        "opening": paragraphs(texts["opening"]),
        "report_summary": paragraphs(texts["report_summary"]),
        "figures": _figures(conference) if doc_type is DocumentType.MINUTES else None,
        "turn_order": turn_order,
        "turn_groups": groups,
        "turn_count": len(turns),
        "turn_summary": _turn_summary(turns),
        "conclusion": paragraphs(texts["conclusion"]),
        "tasks": _tasks(conference),
        "referrals": _referrals(groups),
        "carried": _carried(conference),
        "closing": _closing(conference)
        if doc_type is DocumentType.MINUTES
        else _text("closing.notice", ward=ward.full_name),
        "publication": _text("closing.publication", ward=ward.full_name),
        "signatures": _signatures(conference, doc_type, secretary),
        "recipients": recipient_lines(texts["recipients"]),
        "metadata": _metadata(conference, doc_type, subject, number_label or ""),
        "version": version,
        "public_url": public_url,
        "public_code": public_code,
        "published_dt": published_dt.isoformat() if published_dt else None,
        "published_on": published_on,
        "verification": verification,
        "survey": minutes_survey_link(conference, published_dt) if verification else None,
        "satisfaction": satisfaction_paragraph(conference, as_of=published_dt or utcnow())
        if doc_type is DocumentType.NOTICE
        else None,
        "recorded_note": _text(
            "recorded.note", entered=short_date(to_local(conference.recorded_dt, tz).date())
        )
        if conference.is_recorded_afterwards
        else "",
    }


def draft_or_defaults(conference: Conference, doc_type, draft=None):
    """Return ``draft``, or an unsaved stand-in with the default texts for ``doc_type``."""
    from dialogue.minutes.models import MinutesDraft, TurnOrder

    if draft is not None:
        return draft
    doc_type = _doc_type(doc_type)
    texts = default_texts(conference, doc_type)
    # Not added to the session: it exists only for this rendering.
    return MinutesDraft(
        conference_id=conference.id, doc_type=doc_type, turn_order=TurnOrder.SPEAKING, **texts
    )


# -- the starting texts of a new draft -----------------------------------------------------------


def _plan_sentence(conference: Conference) -> str:
    ward = conference.ward
    if not conference.plan_number:
        return ""
    number = _nfc(conference.plan_number)
    if conference.plan_date:
        return _text(
            "defaults.plan_dated",
            number=number,
            date=short_date(conference.plan_date),
            ward=ward.full_name,
        )
    return _text("defaults.plan", number=number, ward=ward.full_name)


def _at_venue(conference: Conference) -> str:
    if not conference.venue:
        return ""
    return _text("defaults.at_venue", venue=_nfc(conference.venue))


def _opening(conference: Conference, kind: str, **values) -> str:
    """The first sentence of a document: under the plan when there is one."""
    plan = _plan_sentence(conference)
    values |= {
        "at_venue": _at_venue(conference),
        "ward": conference.ward.full_name,
        # "… tổ chức hội nghị đối thoại …": the title typed in the plan, inside a sentence.
        "subject": _lower_first(_subject(conference)),
    }
    if plan:
        return _text(f"defaults.{kind}.opening_under_plan", plan=plan, **values)
    return _text(f"defaults.{kind}.opening", **values)


def _period(conference: Conference) -> str:
    return f" {_nfc(conference.reporting_period)}" if conference.reporting_period else ""


def _default_opening_bb(conference: Conference) -> str:
    ward = conference.ward
    when = vn_datetime(conference.held_start_dt, ward.timezone)
    first = _opening(conference, "minutes", when=when)
    second = _text("defaults.minutes.introduction")
    if conference.chair:
        second += " " + _text(
            "defaults.minutes.chair_opens",
            chair=_label(conference.chair),
            ward_word=ward.kind.word,
        )
    return f"{first}\n{second}"


def _default_report_summary(conference: Conference) -> str:
    if conference.reporter:
        presenter = _text("defaults.minutes.presenter", reporter=_label(conference.reporter))
    else:
        presenter = _text("defaults.minutes.no_presenter")
    text = _text("defaults.minutes.report", presenter=presenter, period=_period(conference))
    figures = _figures(conference)
    if figures is None:
        return text
    if figures["overdue"]:
        overdue = _text("defaults.minutes.overdue", overdue=_count(figures["overdue"]))
    else:
        overdue = _text("defaults.minutes.none_overdue")
    sentence = _text(
        "defaults.minutes.figures",
        received=_count(figures["received"]),
        received_online=_count(figures["received_online"]),
        online_share=figures["online_share"],
        resolved=_count(figures["resolved"]),
        resolved_in_time=_count(figures["resolved_in_time"]),
        on_time_resolved=figures["on_time_resolved"],
        pending_within=_count(figures["pending_within"]),
        overdue_part=overdue,
    )
    return f"{text}\n{sentence}"


def _default_opening_tb(conference: Conference) -> str:
    ward = conference.ward
    day = short_date(to_local(conference.held_start_dt, ward.timezone).date())
    text = _opening(conference, "notice", day=day)
    if conference.chair:
        text += _text("defaults.notice.chair", chair=_label(conference.chair))
    present = count_attendance(conference, locale=LOCALE).total.present
    if present:
        text += _text("defaults.notice.present", present=_count(present))
    turns = len(_turns(conference))
    values = {"period": _period(conference), "office": _office(conference)}
    if turns:
        heard = _text("defaults.notice.heard_turns", turns=turns, **values)
    else:
        heard = _text("defaults.notice.heard", **values)
    return f"{text}\n{heard}"


def default_recipients(conference: Conference, doc_type) -> list[str]:
    """The usual "Nơi nhận" of a ward's BB or TB: report upwards, the ward's bodies, the file."""
    ward = conference.ward
    upper = _nfc(ward.parent_agency)
    if not upper and _nfc(ward.province):
        upper = _text("defaults.recipients.province", province=_lower_first(_nfc(ward.province)))
    first = [_text("defaults.recipients.superior", agency=upper)] if upper else []
    kind = "notice" if _doc_type(doc_type) is DocumentType.NOTICE else "minutes"
    return [*first, *_lines(f"defaults.recipients.{kind}", ward_word=ward.kind.word)]


def default_texts(conference: Conference, doc_type) -> dict:
    """The texts a new draft starts from: opening, report_summary, conclusion, recipients."""
    doc_type = _doc_type(doc_type)
    if doc_type is DocumentType.MINUTES:
        opening = _default_opening_bb(conference)
        report_summary = _default_report_summary(conference)
    else:
        opening = _default_opening_tb(conference)
        report_summary = ""
    return {
        "opening": opening,
        "report_summary": report_summary,
        "conclusion": "\n".join(paragraphs(conference.conclusion)),
        "recipients": "\n".join(default_recipients(conference, doc_type)),
    }


# -- what is missing before publication -------------------------------------------------------------


def missing_parts(conference: Conference, draft) -> list[str]:
    """Name, in the user's language, each required part the document still lacks."""
    doc_type = _doc_type(draft.doc_type)
    missing = []
    if doc_type is DocumentType.NOTICE and not paragraphs(draft.opening):
        missing.append(_("the assessment that opens the notice"))
    if doc_type is DocumentType.MINUTES:
        if conference.end_dt is None:
            missing.append(_("the end time"))
        if not normalize_text(conference.venue):
            missing.append(_("the venue"))
    if conference.chair is None:
        missing.append(_("the chair"))
    if doc_type is DocumentType.MINUTES and not conference.secretaries:
        missing.append(_("the secretary"))
    if not paragraphs(draft.conclusion):
        missing.append(_("the conclusion"))
    if not recipient_lines(draft.recipients):
        missing.append(_("at least one recipient"))
    return missing
