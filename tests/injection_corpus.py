"""The injection corpus: hostile text typed into every field, and the world that holds it.

Every payload that could become an element carries the attribute ``data-pwn``, and every one
that could fetch something points at ``{leak}``, a listener the test runs on loopback: an
element with that attribute in a page, or a request to that listener, is a hole.
"""

from __future__ import annotations

import http.server
import importlib
import inspect
import pkgutil
import threading
import urllib.request
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from wtforms import Form

import dialogue
from dialogue.extensions import db

MARKER = "data-pwn"

PAYLOADS = [
    '<script data-pwn>alert("xss-script")</script>',
    '"><img src=x onerror=alert("xss-img") data-pwn>',
    "'><svg data-pwn onload=alert('xss-svg')></svg>",
    "<iframe data-pwn src=\"javascript:alert('xss-iframe')\"></iframe>",
    '<object data-pwn data="{leak}/object"></object>',
    "<a data-pwn href=\"javascript:alert('xss-href')\">bấm vào đây</a>",
    '<div data-pwn style="background:url({leak}/css)">nền</div>',
    "<style data-pwn>@import '{leak}/import.css';</style>",
    '<link data-pwn rel="stylesheet" href="{leak}/link.css">',
    '<img data-pwn src="{leak}/img">',
    "&lt;script&gt;alert('entity')&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    "{{ 7*7 }} {{ config }} {% for x in range(3) %}lặp{% endfor %} ${7*7} #{7*7}",
    '=HYPERLINK("{leak}/formula","Bấm")',
    "=1+2",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '"Trích dẫn", "phẩy"; chấm phẩy\r\n=1+1,"đóng',
    "Dòng một\r\nATTENDEE:mailto:ke-gian@example.com\r\nEND:VEVENT\r\nBEGIN:VEVENT",
    "Hỏi về đất đai; ghi chú\\n, \\; \\, và \\\\ ở cuối\\",
    "\u202eRTL đảo chiều\u202c \u200fمرحبا\u200f \u2066isolate\u2069",
    "Nguyễn Thị Ngọc Ánh 🌾 " + "Đường Lê Lợi, phường Thạch Bàn, quận Long Biên. " * 12,
    "\tbắt đầu bằng tab",
    "Tên\x00có\x07ký tự\x1bđiều khiển",
]


def payloads(leak: str) -> list[str]:
    return [payload.replace("{leak}", leak) for payload in PAYLOADS]


class LeakListener:
    """An HTTP server on loopback counting every request it gets: it must get none."""

    PORTS = range(5160, 5170)

    def __init__(self):
        self.requests: list[str] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the standard library's name
                listener.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"leak")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        for port in self.PORTS:
            try:
                self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no free port in 5160–5169 for the leak listener")
        self.url = f"http://127.0.0.1:{self.server.server_port}/leak"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        # Proof that the listener listens: a request to it is counted, then forgotten.
        with urllib.request.urlopen(f"{self.url}/probe", timeout=5) as probe:
            probe.read()
        assert self.requests == ["/leak/probe"]
        self.requests.clear()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def form_field_names() -> set[str]:
    """The names of every field of every form in ``dialogue``: the text people type."""
    names = set()
    for module_info in pkgutil.walk_packages(dialogue.__path__, "dialogue."):
        if not module_info.name.endswith(".forms"):
            continue
        module = importlib.import_module(module_info.name)
        for _name, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, Form):
                names.update(
                    name for name, value in vars(form).items() if hasattr(value, "field_class")
                )
    return names


# Typed fields that are identifiers, not prose: poisoning them would only break the world.
NOT_PROSE = {
    "slug", "username", "email", "timezone", "token", "code", "issuer_code", "prefix", "client_key",
}  # fmt: skip


def poison(instance, corpus: list[str], offset: int) -> int:
    """Put corpus text in every text column of ``instance`` that a form lets people type."""
    fields = form_field_names()
    for column in sa.inspect(type(instance)).columns:
        if column.name not in fields or column.name in NOT_PROSE:
            continue
        if not isinstance(column.type, sa.String) or column.foreign_keys or column.primary_key:
            continue
        if getattr(column.type, "enums", None):
            continue
        payload = corpus[offset % len(corpus)]
        offset += 1
        if column.type.length:
            payload = payload[: column.type.length]
        setattr(instance, column.key, payload)
    return offset


def poisoned_conference(records: dict, corpus: list[str], *, secretary=None) -> None:
    """Fill the conference of ``records`` (a closed one) and everything in it with the corpus."""
    from dialogue.attendance.models import Attendee
    from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
    from dialogue.feedback.models import ResponseSource, SurveyResponse
    from dialogue.followup.models import ReferralRequest
    from dialogue.live.models import Turn, TurnOutcome
    from dialogue.people.models import Person
    from dialogue.questions.models import ResidentQuestion
    from dialogue.wards.models import ResidentialGroup, Unit

    conference = db.session.get(Conference, records["conference_id"])
    # PostgreSQL cannot hold a NUL at all: the forms drop it (the residents' form is sent the
    # whole corpus); written directly here, it goes.
    corpus = [payload.replace("\x00", "") for payload in corpus]
    offset = 0
    for model, key in [
        (Conference, "conference_id"),
        (Person, "person_id"),
        (Unit, "unit_id"),
        (ResidentialGroup, "group_id"),
        (Attendee, "attendee_id"),
        (AgendaItem, "item_id"),
        (Turn, "turn_id"),
        (ResidentQuestion, "question_id"),
        (ReferralRequest, "request_id"),
        (SurveyResponse, "response_id"),
    ]:
        offset = poison(db.session.get(model, records[key]), corpus, offset)
    # Every payload in every field of its kind once: a turn, a question, an item, an attendee.
    now = datetime.now(UTC).replace(microsecond=0)
    unit = db.session.get(Unit, records["unit_id"])
    for n, payload in enumerate(corpus, start=10):
        db.session.add_all(
            [
                Turn(
                    conference=conference,
                    position=n,
                    speaker_name=payload[:120],
                    speaker_organisation=payload[:200],
                    question=payload,
                    answerer_name=payload[:255],
                    answer=payload,
                    outcome=TurnOutcome.ANSWERED if n % 2 else TurnOutcome.REFERRED,
                    referral_unit=None if n % 2 else unit,
                    referral_due_date=None if n % 2 else now.date() + timedelta(days=10),
                    referral_note=payload,
                ),
                ResidentQuestion(
                    conference=conference,
                    asker_name=payload[:120],
                    question=payload,
                    is_shown_publicly=True,
                    shown_dt=now,
                ),
                AgendaItem(conference=conference, position=n, title=payload[:255]),
                Attendee(
                    conference=conference,
                    full_name=payload[:120],
                    title=payload[:200],
                    organisation=payload[:200],
                    is_invited=True,
                ),
                SurveyResponse(
                    conference=conference,
                    source=ResponseSource.PAPER,
                    access=4,
                    comment=payload,
                    entered_by=secretary,
                    paper_number=n,
                ),
            ]
        )
    conference.status = ConferenceStatus.CLOSED
    conference.start_dt = now - timedelta(hours=3)
    conference.planned_end_dt = now
    conference.started_dt = now - timedelta(hours=3)
    conference.end_dt = now - timedelta(hours=1)
    db.session.commit()
