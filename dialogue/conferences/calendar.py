"""An iCalendar file (RFC 5545) for one conference, written by hand: one VEVENT, times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.db import utcnow

CRLF = "\r\n"
MAX_LINE_OCTETS = 75
CONTENT_TYPE = "text/calendar; charset=utf-8"


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line into pieces of at most 75 octets (§3.1), never inside a character."""
    pieces = []
    current = ""
    size = 0
    limit = MAX_LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            pieces.append(current)
            # A continuation line starts with one space, which counts towards its 75 octets.
            current, size, limit = char, octets, MAX_LINE_OCTETS - 1
        else:
            current += char
            size += octets
    pieces.append(current)
    return (CRLF + " ").join(pieces)


def format_utc(value: datetime) -> str:
    """Write a moment as a UTC DATE-TIME: 20200630T010000Z."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _description(conference: Conference, notice_url: str | None) -> str:
    lines = []
    if conference.subject:
        lines.append(conference.subject)
    if conference.status is ConferenceStatus.CANCELLED and conference.cancel_reason:
        lines.append(f"Hội nghị đã bị hủy. Lý do: {conference.cancel_reason}")
    if conference.agenda_items:
        lines.append("Chương trình:")
        lines.extend(f"{item.position}. {item.title}" for item in conference.agenda_items)
    if notice_url:
        lines.append(f"Thông báo: {notice_url}")
    return "\n".join(lines)


def conference_ics(
    conference: Conference, *, uid_domain: str, notice_url: str | None = None, now=None
) -> bytes:
    """Return the .ics file of ``conference`` as UTF-8 bytes with CRLF line ends."""
    cancelled = conference.status is ConferenceStatus.CANCELLED
    # Calendars apply a changed event only when its sequence grows: count the minutes of change.
    sequence = int(conference.updated_dt.timestamp() // 60) if conference.updated_dt else 0
    properties = [
        ("UID", f"conference-{conference.id}@{uid_domain}"),
        ("DTSTAMP", format_utc(now or utcnow())),
        ("SEQUENCE", str(sequence)),
        ("DTSTART", format_utc(conference.start_dt)),
    ]
    if conference.planned_end_dt is not None:
        properties.append(("DTEND", format_utc(conference.planned_end_dt)))
    properties += [
        ("SUMMARY", escape_text(conference.title)),
        ("STATUS", "CANCELLED" if cancelled else "CONFIRMED"),
    ]
    if conference.venue:
        properties.append(("LOCATION", escape_text(conference.venue)))
    description = _description(conference, notice_url)
    if description:
        properties.append(("DESCRIPTION", escape_text(description)))
    if notice_url:
        properties.append(("URL", notice_url))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Dialogue//Public dialogue conferences//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        *(f"{name}:{value}" for name, value in properties),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold_line(line) + CRLF for line in lines).encode("utf-8")
