"""Bad input found by an attack run: each refused or cleaned at its depth, never a server error.

Text is cleaned once on the way in (``dialogue.web.CleanRequest``); a number no key can be
matches no route and is no form value; an error page starts on a fresh transaction; a
resident's refused question does not count against the form's limit; a damaged CSV file is
explained in words of ours, with its line.
"""

from __future__ import annotations

import html
import io
import re
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import request
from werkzeug.routing import IntegerConverter, UnicodeConverter

from dialogue.auth.models import Role
from dialogue.conferences.models import AgendaItem, ConferenceStatus
from dialogue.core.ids import MAX_ID
from dialogue.core.text import clean_data, clean_line, clean_text
from dialogue.extensions import db
from dialogue.live.models import Turn
from dialogue.people import importing
from dialogue.people.models import Person
from dialogue.questions.forms import issue_stamp
from dialogue.questions.models import ResidentQuestion
from dialogue.wards.models import Ward
from tests.conftest import PASSWORD
from tests.test_access_matrix import _records

NUL = "\x00"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "evil" printed as "live"
# Every kind of character that must not come in, between ordinary letters.
HOSTILE = f"Nguyễn{NUL}\x07\x1b Văn\u202a\u202b\u202c\u202d{RLO}\u2066\u2067\u2068\u2069 A\x85\x9f"
# Numbers past the largest key: PostgreSQL's integer, SQLite's, and one past any.
HUGE = (2**31, 2**63, 10**30)


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue is checked below.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _signed_in(app, user):
    client = app.test_client()
    response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# -- the characters -----------------------------------------------------------------------------


def test_clean_text_drops_controls_and_overrides_and_keeps_lines_and_tabs():
    assert clean_text(HOSTILE) == "Nguyễn Văn A"
    assert (
        clean_text("dòng một\r\ndòng hai\rdòng ba\n\tthụt") == "dòng một\ndòng hai\ndòng ba\n\tthụt"
    )
    assert clean_text("PHƯỜNG \u202eevil\u202c") == "PHƯỜNG evil"
    # A lone surrogate (JSON may carry "\ud800") cannot be stored by either database.
    assert clean_text("a\ud800b") == "ab"
    # Ordinary text, non-breaking spaces and Vietnamese letters pass untouched.
    assert clean_text("Tổ dân phố\u00a0số 5 — “Đồng ý”") == "Tổ dân phố\u00a0số 5 — “Đồng ý”"
    assert clean_line("một\ndòng\tthôi") == "một dòng thôi"
    assert clean_data({"a\x00": [f"x{NUL}", 5, None, {"b": RLO}]}) == {
        "a": ["x", 5, None, {"b": ""}]
    }


# -- text cleaned on the way in: forms, JSON, query strings, addresses ---------------------------


def test_a_person_typed_with_controls_and_overrides_is_stored_clean(app, make_user):
    client = _signed_in(app, make_user(Role.ORGANISER))
    response = client.post(
        "/people/new",
        data={
            "full_name": HOSTILE,
            "title": f"Tổ{NUL} trưởng\nkiêm\tthủ quỹ",
            "organisation": "",
            "residential_group_id": "0",
            "delegate_category_id": "0",
            "phone": "",
            "email": "",
            "note": f"Dòng một\r\nDòng hai{RLO}",
        },
    )
    assert response.status_code == 302, response.text
    person = db.session.scalar(sa.select(Person))
    assert person.full_name == "Nguyễn Văn A"
    # A one-line box takes no line break; a text area keeps its lines.
    assert person.title == "Tổ trưởng kiêm thủ quỹ"
    assert person.note == "Dòng một\nDòng hai"


def test_an_agenda_item_typed_with_nul_is_stored_clean(app, make_user, make_conference):
    conference = make_conference()
    client = _signed_in(app, make_user(Role.ORGANISER))
    response = client.post(
        f"/conferences/{conference.id}/agenda",
        data={"title": f"Khai{NUL} mạc{RLO}", "presenter": f"Chủ tịch{NUL}", "planned_minutes": ""},
    )
    assert response.status_code == 302, response.text
    item = db.session.scalar(sa.select(AgendaItem))
    assert (item.title, item.presenter) == ("Khai mạc", "Chủ tịch")


def test_a_turn_sent_as_json_with_nul_is_saved_clean(app, make_user, make_conference):
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    db.session.commit()
    client = _signed_in(app, secretary)
    response = client.post(
        f"/conferences/{conference.id}/live/turns",
        json={
            "question": f"Thủ tục{NUL} cấp phép\r\nmất bao lâu?{RLO}\ud800",
            "speaker_name": f"Lê{NUL} Văn\u2066 C",
            "client_key": "nul-key-00000001",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json["ok"] is True
    turn = db.session.scalar(sa.select(Turn))
    # The turn's question is one paragraph (dialogue.live.operations): its line break is a space.
    assert turn.question == "Thủ tục cấp phép mất bao lâu?"
    assert turn.speaker_name == "Lê Văn C"


def test_a_ward_named_with_an_override_prints_in_order(app, make_user, ward):
    admin = make_user(Role.ADMINISTRATOR)
    client = _signed_in(app, admin)
    response = client.post(
        f"/admin/wards/{ward.id}/edit",
        data={
            "name": f"Thạch Bàn {RLO}evil\u202c",
            "kind": "phuong",
            "slug": ward.slug,
            "province": "Thành phố Hà Nội",
            "parent_agency": "",
            "place_name": f"Thạch{NUL} Bàn",
            "issuer_code": "ubnd",
            "address": "Số 1 đường Nguyễn Văn A",
            "timezone": "Asia/Ho_Chi_Minh",
            "is_active": "y",
        },
    )
    assert response.status_code == 302, response.text
    db.session.expire_all()
    stored = db.session.get(Ward, ward.id)
    assert (stored.name, stored.place_name) == ("Thạch Bàn evil", "Thạch Bàn")


def test_the_name_of_an_uploaded_file_is_cleaned(app):
    upload = (io.BytesIO(b"%PDF-1.7"), f"bi{NUL}ên\tbản{RLO}.pdf")
    with app.test_request_context("/", method="POST", data={"file": upload}):
        assert request.files["file"].filename == "biên bản.pdf"


# -- a sweep over the URL map ---------------------------------------------------------------------


@pytest.fixture
def sweep(app, ward, other_ward, make_person, make_conference, make_user):
    """Clients of the roles that reach the most pages, and a record of every kind in the ward."""
    # A server error is counted, with the others, rather than raised at the first.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    secretary = make_user(Role.SECRETARY)
    records = _records(ward, make_person, make_conference, make_user, [secretary])
    clients = {
        "anonymous": app.test_client(),
        "administrator": _signed_in(app, make_user(Role.ADMINISTRATOR)),
        "organiser": _signed_in(app, make_user(Role.ORGANISER)),
        "secretary": _signed_in(app, secretary),
    }
    return records, clients


def _get_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and "GET" in rule.methods
    ]


def _open(client, url):
    response = client.get(url)
    # A live stream would never end: only its status and headers are read.
    response.close()
    return response


def test_huge_ids_in_every_address_are_not_found(app, sweep):
    records, clients = sweep
    failures = []
    checked = 0
    for rule in _get_rules(app):
        numbers = [
            name
            for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)
        ]
        for name in numbers:
            for huge in (MAX_ID, *HUGE):
                url = rule.build({**records, name: huge}, append_unknown=False)[1]
                for role, client in clients.items():
                    status = _open(client, url).status_code
                    checked += 1
                    if status >= 500 or (huge > MAX_ID and status != 404):
                        failures.append(f"GET {url} as {role}: {status}")
    assert checked > 500  # the sweep reached the map
    assert failures == [], "\n".join(failures)


def test_a_hostile_character_in_an_address_segment_is_not_found(app, sweep):
    records, clients = sweep
    failures = []
    checked = 0
    for rule in _get_rules(app):
        texts = [
            name
            for name, converter in rule._converters.items()
            if isinstance(converter, UnicodeConverter)
        ]
        for name in texts:
            for bad in (f"{records[name]}{NUL}", f"{RLO}{records[name]}"):
                url = rule.build({**records, name: bad}, append_unknown=False)[1]
                for role, client in clients.items():
                    status = _open(client, url).status_code
                    checked += 1
                    if status != 404:
                        failures.append(f"GET {url!r} as {role}: {status}")
    assert checked > 100  # the sweep reached the map
    assert failures == [], "\n".join(failures)


# Names read from query strings by hand (``request.args``) rather than through a page's form.
QUERY_NAMES = ("q", "page", "year", "area", "province", "after", "status", "kind", "unit")


def _get_form_fields(page: str) -> set[str]:
    """The names of the fields of a page's GET forms (search boxes, filters)."""
    names = set()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", page, flags=re.S | re.I):
        opening = form[: form.index(">")]
        if re.search(r'method=["\']?post', opening, flags=re.I):
            continue
        names.update(re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', form))
    return names


def test_hostile_query_strings_on_every_page_are_no_server_error(app, sweep):
    """Every field of every GET form, and every name read by hand: NUL, overrides, huge numbers."""
    records, clients = sweep
    failures = []
    searched = 0
    for rule in _get_rules(app):
        url = rule.build(records, append_unknown=False)[1]
        for role in ("administrator", "organiser", "anonymous"):
            client = clients[role]
            first = _open(client, url)
            if first.status_code != 200 or first.mimetype != "text/html":
                continue
            names = _get_form_fields(first.text) | set(QUERY_NAMES)
            searched += bool(_get_form_fields(first.text))
            for value in (HOSTILE, f"%{NUL}_", *(str(n) for n in HUGE), str(-(2**63))):
                response = _open(client, url + "?" + _query(names, value))
                if response.status_code >= 500:
                    failures.append(f"GET {url} ?…={value!r} as {role}: {response.status_code}")
    assert searched > 10  # the pages' search forms were found
    assert failures == [], "\n".join(failures)


def _query(names, value) -> str:
    from urllib.parse import urlencode

    return urlencode([(name, value) for name in sorted(names)])


def test_a_search_for_nul_finds_nothing_instead_of_failing(app, make_user, make_person):
    make_person(full_name="Nguyễn Văn A")
    client = _signed_in(app, make_user(Role.ORGANISER))
    for url in ("/people/?q=%00", "/people/?q=Nguy%00%E1%BB%85n", "/conferences/people.json?q=%00"):
        response = client.get(url)
        assert response.status_code == 200, url
    # NUL is not there: the name is found as if it had not been typed.
    assert "Nguyễn Văn A" in client.get("/people/?q=Nguy%00%E1%BB%85n").text


# -- huge numbers in forms and JSON -------------------------------------------------------------


def test_a_huge_working_ward_is_refused_not_a_server_error(app, make_user):
    client = _signed_in(app, make_user(Role.ADMINISTRATOR))
    for huge in HUGE:
        assert client.post("/working-ward", data={"ward_id": str(huge)}).status_code == 400


def test_huge_people_in_a_conference_form_are_a_form_error(app, make_user, make_conference):
    conference = make_conference()
    client = _signed_in(app, make_user(Role.ORGANISER))
    for huge in HUGE:
        response = client.post(
            f"/conferences/{conference.id}/edit",
            data={
                "title": conference.title,
                "chair_id": str(huge),
                "reporter_id": str(huge),
                "cochair_ids": [str(huge)],
            },
        )
        assert response.status_code == 400, response.status_code
        page = html.unescape(response.text)
        assert 'id="chair_id-error">Choose a person of the ward\'s directory.' in page
        assert 'id="reporter_id-error">Choose a person of the ward\'s directory.' in page
        assert "Choose people of the ward's directory." in page


def test_a_huge_person_invited_is_a_form_error(app, make_user, make_conference):
    conference = make_conference()
    client = _signed_in(app, make_user(Role.ORGANISER))
    for huge in HUGE:
        response = client.post(
            f"/conferences/{conference.id}/invitations/person", data={"person_id": str(huge)}
        )
        assert response.status_code == 400, (huge, response.status_code)
        assert "This number is too large." in response.text


def test_a_huge_turn_order_is_refused(app, make_user, make_conference):
    conference = make_conference(status=ConferenceStatus.IN_PROGRESS)
    secretary = make_user(Role.SECRETARY)
    conference.secretaries.append(secretary)
    db.session.commit()
    client = _signed_in(app, secretary)
    base = f"/conferences/{conference.id}/live/turns"
    for huge in HUGE:
        assert client.post(f"{base}/order", json={"order": [huge]}).status_code == 409
        moved = client.post(f"{base}/order", json={"turn_id": huge, "direction": "up"})
        assert moved.status_code == 400
        response = client.post(
            base, json={"question": "Hỏi", "speaker_attendee_id": huge, "procedure_area_id": huge}
        )
        assert response.status_code < 500, response.status_code
        assert response.json["ok"] is False


# -- an error page after a failed statement ------------------------------------------------------


def test_the_error_page_follows_a_failed_statement(app, make_user):
    """PostgreSQL refuses every statement after a failed one: the page must start afresh."""

    def failing():
        db.session.execute(sa.text("SELECT * FROM no_such_table"))

    failing.access = None
    app.add_url_rule("/test-failing", "test_failing", failing)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = _signed_in(app, make_user(Role.ORGANISER))
    response = client.get("/test-failing")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    # The page is the application's own, with the signed-in person's menu read afresh.
    assert "Sign out" in response.text or "Đăng xuất" in response.text


# -- the residents' question form: only a question taken counts ---------------------------------


@pytest.fixture
def question_limit(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_QUESTIONS"] = "3 per minute"


def _ask(client, conference, question):
    return client.post(
        f"/p/{conference.ward.slug}/hoi-nghi/{conference.id}/gui-cau-hoi",
        data={
            "question": question,
            "residential_group_id": "0",
            "procedure_area_id": "0",
            "asker_name": "",
            "contact": "",
            "website": "",
            # Given out a minute ago, as if the resident had spent that long typing.
            "stamp": issue_stamp(conference.id, now=time.time() - 60),
        },
    )


def test_refused_questions_do_not_lock_a_resident_out(question_limit, app, make_conference):
    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    client = app.test_client()
    # A resident sends too little five times, more than the limit, and is told so each time.
    for _ in range(5):
        assert _ask(client, conference, "").status_code == 400
    # Each question taken counts: three are taken, the fourth is one too many.
    for n in range(3):
        response = _ask(client, conference, f"Câu hỏi số {n + 1} về thủ tục cấp phép xây dựng?")
        assert response.status_code == 302, response.text
    assert _ask(client, conference, "Câu hỏi thứ tư về hộ tịch?").status_code == 429
    assert db.session.scalar(sa.select(sa.func.count(ResidentQuestion.id))) == 3


@pytest.fixture
def question_posts_limit(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_QUESTION_POSTS"] = "6 per minute"


def test_a_script_sending_refused_posts_without_end_is_stopped(
    question_posts_limit, app, make_conference
):
    conference = make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    client = app.test_client()
    assert [_ask(client, conference, "").status_code for _ in range(7)] == [400] * 6 + [429]
    # Every post counted, a question too: the address waits.
    assert _ask(client, conference, "Câu hỏi về thủ tục hộ tịch ở phường?").status_code == 429


# -- a damaged CSV file, in words of ours, with its line ----------------------------------------


def _csv_refusal(data: bytes) -> str:
    with pytest.raises(importing.UnreadableFile) as refused:
        importing.read_table(data, "csv")
    return refused.value.message


def test_a_cell_longer_than_any_is_told_with_its_line(app):
    data = ("Họ và tên,Ghi chú\nNguyễn Văn A,\n" + '"' + "x" * 200_000 + '",\n').encode()
    message = _csv_refusal(data)
    assert message.startswith("Line 3 of this CSV file holds a cell of more than 131,072")
    assert "field limit" not in message


def test_a_zero_byte_is_told_with_its_line(app):
    assert _csv_refusal("Họ và tên\nNguyễn Văn A\nTrần\x00 Thị B\n".encode()).startswith(
        "Line 3 of this file holds a zero byte (NUL)"
    )
    # Excel's "Unicode text" (UTF-16) is read too, and a NUL in it is just as refused.
    utf16 = "Họ và tên\tGhi chú\nA\tx\x00\n".encode("utf-16")
    assert _csv_refusal(utf16).startswith("Line 2 of this file holds a zero byte")


def test_a_quotation_mark_never_closed_is_told_with_its_line(app):
    data = 'Họ và tên,Ghi chú\nNguyễn Văn A,"mở ngoặc\nTrần Thị B,\nLê Văn C,\n'.encode()
    message = _csv_refusal(data)
    assert message.startswith('A quotation mark (") opened on line 2 of this CSV file')
    assert "end of data" not in message


def test_text_after_a_closing_quotation_mark_is_told_with_its_line(app):
    data = 'Họ và tên,Ghi chú\nNguyễn Văn A,x\n"Trần Thị B" ,x\n'.encode()
    message = _csv_refusal(data)
    assert message.startswith("On line 3 of this CSV file a quoted cell goes on after")
    assert "expected" not in message


def test_the_import_page_says_it_in_vietnamese(app, client, make_user, login):
    from dialogue.auth.models import Role

    login(make_user(Role.ORGANISER))
    client.get("/locale", query_string={"locale": "vi"})
    data = ("Họ và tên\n" + '"' + "x" * 200_000 + '"\n').encode()
    response = client.post(
        "/people/import",
        data={"file": (io.BytesIO(data), "danh-sach.csv")},
        content_type="multipart/form-data",
    )
    page = html.unescape(response.get_data(as_text=True))
    assert "Dòng 2" in page and "field limit" not in page
