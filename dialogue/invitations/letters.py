"""Invitation letters (giấy mời): one PDF, one letter a page, each with its check-in QR code.

The text is official Vietnamese in the layout of Nghị định 30/2020; it is not translated.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from dialogue.attendance.models import Attendee
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import to_local, vn_date, vn_short_date, vn_time
from dialogue.documents.models import DocumentNumber
from dialogue.documents.pdf import render_pdf

TEMPLATE = "invitations/letters.html"
QR_CAPTION = "Mã điểm danh — xuất trình tại bàn đón tiếp"
AGENDA_LIST_ITEMS = 4
LONG_TEXT_CHARS = 700
_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class Issuer:
    """What the document header needs to know of the ward."""

    parent_agency: str
    agency_lines: tuple[str, ...]


@dataclass(frozen=True)
class Letter:
    addressee: str
    token: str


@dataclass(frozen=True)
class LettersDocument:
    """Everything the letters print, read from the database once, before the slow rendering."""

    issuer: Issuer
    number: str
    place_date: str
    subject: str
    legal_basis: str
    time_text: str
    venue: str
    agenda: tuple[str, ...]
    chair_name: str
    letters: tuple[Letter, ...]
    # The satisfaction survey's address and last day ("" when there is none).
    survey_url: str = ""
    survey_until: str = ""

    @property
    def agenda_as_list(self) -> bool:
        """A short agenda gets a line per item; a long one runs on, to keep to one page."""
        return len(self.agenda) <= AGENDA_LIST_ITEMS

    @property
    def is_long(self) -> bool:
        """Long texts are set at 13 pt (the decree allows 13–14) so each letter fits a page."""
        length = len(self.subject) + len(self.legal_basis) + sum(map(len, self.agenda))
        return length > LONG_TEXT_CHARS


def qr_data_uri(token: str) -> str:
    """Return a PNG data URI of a QR code that carries ``token`` (or an address) and nothing else."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(token)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def addressee(attendee: Attendee) -> str:
    """Name the invitee as the letter does: "Ông/Bà Nguyễn Văn A - Tổ trưởng tổ dân phố số 1"."""
    parts = [attendee.title]
    # "Tổ trưởng tổ dân phố số 3" already names its organisation "Tổ dân phố số 3".
    if attendee.organisation.casefold() not in attendee.title.casefold():
        parts.append(attendee.organisation)
    position = ", ".join(part for part in parts if part)
    name = f"Ông/Bà {attendee.full_name}"
    return f"{name} - {position}" if position else name


def _subject(conference: Conference) -> str:
    return (conference.subject.strip() or conference.title.strip()).rstrip(" .;")


def subject_line(conference: Conference) -> str:
    """The line under "GIẤY MỜI": "Dự Hội nghị đối thoại …"."""
    subject = _subject(conference)
    if subject[:3].casefold() == "dự ":
        return subject[0].upper() + subject[1:]
    return f"Dự {subject}"


def _legal_basis(conference: Conference) -> str:
    ward = conference.ward
    organiser = f"Ủy ban nhân dân {ward.full_name} tổ chức {_subject(conference)}"
    if not conference.plan_number:
        return f"{organiser}, cụ thể như sau:"
    plan = f"Kế hoạch số {conference.plan_number}"
    if conference.plan_date:
        plan += f" ngày {vn_short_date(conference.plan_date)}"
    return f"Thực hiện {plan} của UBND {ward.full_name}, {organiser}, cụ thể như sau:"


def _time_text(conference: Conference) -> str:
    tz = conference.ward.timezone
    start = to_local(conference.start_dt, tz)
    return f"{vn_time(start, tz)}, {vn_date(start, tz=tz)} ({_WEEKDAYS[start.weekday()]})"


def _agenda(conference: Conference) -> list[str]:
    """The conference's own agenda; without one, the usual items of a dialogue conference."""
    if conference.agenda_items:
        return [item.title.strip().rstrip(" .;") for item in conference.agenda_items]
    period = f" {conference.reporting_period}" if conference.reporting_period else ""
    return [
        f"Báo cáo kết quả công tác cải cách thủ tục hành chính{period}",
        "Đối thoại, giải đáp ý kiến, kiến nghị của Nhân dân, doanh nghiệp về thủ tục hành chính",
        "Kết luận của Chủ tịch Ủy ban nhân dân",
    ]


def compose_letters(
    conference: Conference,
    attendees: Sequence[Attendee],
    number: DocumentNumber,
    issued_on: date,
) -> LettersDocument:
    """Gather what the letters to ``attendees`` say."""
    ward = conference.ward
    return LettersDocument(
        issuer=Issuer(parent_agency=ward.parent_agency, agency_lines=tuple(ward.agency_lines)),
        number=number.label,
        place_date=vn_date(issued_on, place=ward.place_name),
        subject=subject_line(conference),
        legal_basis=_legal_basis(conference),
        time_text=_time_text(conference),
        venue=conference.venue,
        agenda=tuple(_agenda(conference)),
        chair_name=conference.chair.full_name if conference.chair else "",
        letters=tuple(
            Letter(addressee=addressee(attendee), token=attendee.token) for attendee in attendees
        ),
        **_survey(conference),
    )


def _survey(conference: Conference) -> dict[str, str]:
    """The survey's address and last day, while it can still be answered."""
    from dialogue.feedback import survey

    if conference.status is ConferenceStatus.CANCELLED or conference.is_recorded_afterwards:
        return {}
    window = survey.survey_window(conference)
    if window.state is survey.SurveyState.CLOSED:
        return {}
    return {
        "survey_url": survey.survey_address(conference),
        "survey_until": vn_short_date(window.closes_on),
    }


def render_letters(document: LettersDocument) -> bytes:
    """Render ``document`` to PDF bytes, one letter a page; touches no database."""
    return render_pdf(
        TEMPLATE,
        stylesheets=("css/document.css",),
        doc=document,
        qr_codes=[qr_data_uri(letter.token) for letter in document.letters],
        qr_caption=QR_CAPTION,
        survey_qr=qr_data_uri(document.survey_url) if document.survey_url else "",
    )


def render_invitation_letters(
    conference: Conference,
    attendees: Sequence[Attendee],
    number: DocumentNumber,
    issued_on: date,
) -> bytes:
    """Render one letter a page for ``attendees`` to PDF bytes."""
    return render_letters(compose_letters(conference, attendees, number, issued_on))
