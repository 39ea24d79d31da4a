"""Every route × every role × a record of another ward, generated from the URL map.

A new route cannot be forgotten: it must declare its audience (``public``, ``login_required``
or ``role_required``) and every URL argument must name a record kind known below.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import UTC, datetime
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa
from PIL import Image

from dialogue.attendance.models import Attendee
from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.city.operations import assign_province, get_or_create_province
from dialogue.conferences.models import AgendaItem, Conference, ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.dossier import operations as dossier_operations
from dialogue.dossier.figures import Counts
from dialogue.dossier.models import DossierChannel
from dialogue.extensions import db
from dialogue.feedback.models import ResponseSource, SurveyResponse
from dialogue.followup.models import (
    AnswerStatus,
    ReferralRequest,
    ReferralStatus,
    RequestKind,
    WrittenAnswer,
)
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.models import MinutesDraft, PublishedDocument
from dialogue.photos import operations as photo_operations
from dialogue.questions.models import ResidentQuestion
from dialogue.wards.models import ResidentialGroup, Unit
from tests.conftest import PASSWORD

ANONYMOUS = None


_serial = itertools.count(1)


def _records(ward, make_person, make_conference, make_user, secretaries=(), responder=None):
    """One fresh record of every kind that appears in a URL, in ``ward``."""
    n = next(_serial)
    if ward.province_record is None:
        # The city officer's province is the own ward's; the other ward is in another one.
        assign_province(ward, get_or_create_province(f"Tỉnh của {ward.name}"))
    person = make_person(ward=ward)
    unit = Unit(ward=ward, name=f"Bộ phận Một cửa {n}")
    group = ResidentialGroup(ward=ward, number=100 + n, name=f"Tổ dân phố số {100 + n}")
    db.session.add_all([unit, group])
    if responder is not None:
        # The ward's responder answers for every unit made here: its referral is theirs.
        responder.extra_units.append(unit)
    staff = make_user(Role.RESPONDER, ward=ward)
    # Announced: the stage at which the most pages of a conference are open.
    conference = make_conference(
        ward=ward,
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=datetime.now(UTC),
        secretaries=list(secretaries),
    )
    attendee = Attendee(conference=conference, full_name=f"Lê Văn C{n}", is_invited=True)
    event = AuditEvent(
        ward_id=ward.id,
        actor="test",
        action=AuditAction.EVENT,
        entity_type="wards",
        entity_id=ward.id,
        summary="test",
        changes={},
    )
    item = AgendaItem(conference=conference, position=1, title="Báo cáo kết quả giải quyết TTHC")
    # Made directly: the operations log turns only while a conference is in progress.
    turn = Turn(
        conference=conference,
        position=1,
        question="Hỏi về thủ tục cấp phép xây dựng",
        outcome=TurnOutcome.REFERRED,
        referral_unit=unit,
        referral_due_date=datetime.now(UTC).date(),
    )
    # Shown publicly, so that residents may read and support it.
    question = ResidentQuestion(
        conference=conference,
        question="Bao giờ có kết quả hồ sơ?",
        is_shown_publicly=True,
        shown_dt=datetime.now(UTC),
    )
    db.session.add_all([attendee, event, item, turn, question])
    db.session.flush()
    # A published version made directly: publishing needs a closed conference and a renderer.
    number = allocate_number(ward, DocumentType.MINUTES, conference=conference)
    draft = MinutesDraft(conference=conference, doc_type=DocumentType.MINUTES)
    pdf = b"%PDF-1.7 test"
    html = "<article>Biên bản</article>"
    published = PublishedDocument(
        draft=draft,
        conference=conference,
        doc_type=DocumentType.MINUTES,
        number=number,
        number_label=number.label,
        html=html,
        html_sha256=hashlib.sha256(html.encode()).hexdigest(),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_size=len(pdf),
        title="Biên bản hội nghị",
    )
    db.session.add_all([draft, published])
    db.session.flush()
    referral = turn.referral
    # Published, so that its public page and letter are open to residents too.
    referral.status = ReferralStatus.ANSWERED
    referral.answered_on = datetime.now(UTC).date()
    referral.is_settled = True
    answer = WrittenAnswer(
        referral=referral,
        status=AnswerStatus.PUBLISHED,
        published_dt=datetime.now(UTC),
        body="Trả lời.",
        attachment_filename="tra-loi.pdf",
        attachment_pdf=pdf,
        attachment_sha256=hashlib.sha256(pdf).hexdigest(),
        attachment_size=len(pdf),
        attachment_pages=1,
    )
    unit_request = ReferralRequest(
        referral=referral,
        kind=RequestKind.EXTENSION,
        reason="Cần thêm thời gian.",
        from_unit=unit,
        previous_due_date=referral.due_date,
        new_due_date=referral.due_date,
    )
    db.session.add_all([answer, unit_request])
    db.session.flush()
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, "JPEG")
    photo = photo_operations.add_photo(
        conference, image.getvalue(), caption="Ảnh", uploaded_by=None
    )
    counts = Counts(received_online=1, resolved_on_time=1)
    report = dossier_operations.save_report(
        conference, dossier_operations.ReportData(counts=counts)
    )
    line = dossier_operations.add_line(
        report, dossier_operations.LineData(counts=counts, channel=DossierChannel.ONLINE)
    )
    # A paper survey form typed in by the ward's secretary, who may take it back.
    paper_form = SurveyResponse(
        conference=conference,
        source=ResponseSource.PAPER,
        access=5,
        entered_by=secretaries[0] if secretaries else None,
        paper_number=1,
    )
    db.session.add(paper_form)
    db.session.commit()
    return {
        "ward_id": ward.id,
        "ward_slug": ward.slug,
        "province_id": ward.province_id,
        "person_id": person.id,
        "conference_id": conference.id,
        "user_id": staff.id,
        "unit_id": unit.id,
        "group_id": group.id,
        "area_id": ward.procedure_areas[0].id,
        "category_id": ward.delegate_categories[0].id,
        "event_id": event.id,
        "attendee_id": attendee.id,
        "item_id": item.id,
        "photo_id": photo.id,
        "line_id": line.id,
        "turn_id": turn.id,
        "question_id": question.id,
        "token": question.follow_token,
        "doc_type": "bb",
        "document_id": published.id,
        "code": published.public_code,
        "referral_id": referral.id,
        "answer_id": answer.id,
        "request_id": unit_request.id,
        "response_id": paper_form.id,
        "version": 1,
        "year": conference.start_dt.year,
    }


@pytest.fixture
def world(app, ward, other_ward, make_person, make_conference, make_user):
    clients = {ANONYMOUS: app.test_client()}
    users = {role: make_user(role) for role in Role}
    for role, user in users.items():
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302
        clients[role] = client
    # The secretary is one of the conference's secretaries: the role alone lets no one log turns.
    secretaries = [users[Role.SECRETARY]]
    responder = users[Role.RESPONDER]
    own = _records(ward, make_person, make_conference, make_user, secretaries, responder)
    other = _records(other_ward, make_person, make_conference, make_user)
    return (
        own,
        other,
        clients,
        lambda: _records(ward, make_person, make_conference, make_user, secretaries, responder),
    )


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method, app.view_functions[rule.endpoint]


def _url(rule, records):
    values = {}
    for name in rule.arguments:
        if name not in records:
            raise AssertionError(
                f"{rule.rule}: URL argument {name!r} is unknown to the access matrix; add it"
            )
        values[name] = records[name]
    return rule.build(values, append_unknown=False)[1]


def test_every_route_declares_its_audience(app):
    undeclared = [rule.rule for rule, _method, view in _routes(app) if not hasattr(view, "access")]
    assert undeclared == []


def _expected(view, role, *, foreign: bool) -> str:
    access = view.access
    if access is None:
        return "open"
    if role is ANONYMOUS:
        return "login"
    if role not in access:
        return "forbidden"
    if foreign and role is not Role.ADMINISTRATOR:
        return "missing"
    return "allowed"


def _check(status: int, location: str, expected: str, method: str) -> bool:
    if expected == "login":
        return status == 302 and location.startswith("/auth/login")
    if expected == "forbidden":
        return status == 403
    if expected == "missing":
        return status == 404
    if expected == "open":
        return status in {200, 302, 400}
    # allowed
    if location.startswith("/auth/login"):
        return False
    if method == "GET":
        return status in {200, 302}
    return status not in {403, 404} and status < 500


def test_access_matrix(app, world):
    own, other, clients, fresh_records = world
    failures = []
    deferred = []
    for rule, method, view in _routes(app):
        has_record = bool(rule.arguments)
        for role, client in clients.items():
            for foreign in (False, True) if has_record else (False,):
                expected = _expected(view, role, foreign=foreign)
                if method == "POST" and expected == "allowed":
                    # Allowed writes may delete what later checks read: run them last.
                    if not foreign:
                        deferred.append((rule, method, role, client, expected))
                    continue
                url = _url(rule, other if foreign else own)
                response = client.open(url, method=method)
                if not _check(
                    response.status_code, response.headers.get("Location", ""), expected, method
                ):
                    failures.append(
                        f"{method} {url} as {role}: {response.status_code}, expected {expected}"
                    )
    # Signing out last, so that it does not sign the other checks out.
    deferred.sort(key=lambda item: item[0].endpoint == "auth.logout")
    for rule, method, role, client, expected in deferred:
        # A write may delete or change its record: each gets records of its own.
        url = _url(rule, fresh_records())
        response = client.open(url, method=method)
        location = response.headers.get("Location", "")
        if rule.endpoint == "auth.logout":
            location = ""  # signing out rightly ends at the sign-in page
        if not _check(response.status_code, location, expected, method):
            failures.append(
                f"{method} {url} as {role}: {response.status_code}, expected {expected}"
            )
    assert failures == [], "\n".join(failures)


def test_matrix_covers_the_foundation_routes(app):
    endpoints = {rule.endpoint for rule, _m, _v in _routes(app)}
    for endpoint in (
        "auth.login",
        "conferences.detail",
        "people.index",
        "accounts.index",
        "wards.index",
        "wards.reference",
        "audit.index",
        "main.healthz",
        "city.index",
        "city.ward",
        "city.provinces",
    ):
        assert endpoint in endpoints


# -- every POST refused, and nothing written -------------------------------------------------

# Tables whose rows a refused request may rightly change: none so far. A table added here needs
# its reason, e.g. a log of refused attempts.
VOLATILE_TABLES: dict[str, str] = {}
# Columns that any request by a signed-in user touches.
VOLATILE_COLUMNS = {
    ("user_sessions", "last_seen_dt"): "a signed-in request marks its session as seen",
    ("user_sessions", "expires_dt"): "a sliding session is extended by every request",
}
# URL arguments that name the record a route acts within; the others name records inside it.
PARENT_ARGUMENTS = {"ward_slug", "conference_id", "referral_id"}
VALUE_ARGUMENTS = {"doc_type", "version", "year", "code", "token"}
FILLER = {
    "text": "Hỏi về thủ tục cấp phép xây dựng",
    "search": "thu tuc",
    "number": "1",
    "date": datetime.now(UTC).date().isoformat(),
    "time": "08:00",
    "datetime-local": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M"),
    "email": "to-truong@example.vn",
    "tel": "0912345678",
    "url": "https://example.vn",
    "password": "correct horse battery staple 2",
}


def _fingerprint() -> dict[str, str]:
    """Hash every row of every table (bar the volatile ones), one digest per table."""
    digests = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE_COLUMNS]
            rows = sorted(repr(tuple(row)) for row in connection.execute(sa.select(*columns)))
            digests[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def _form_values(form) -> list[tuple[str, object]]:
    """What a person filling ``form`` plausibly sends: its defaults, empty fields filled."""
    values: list[tuple[str, object]] = []
    submitted = False
    for element in form.inputs:
        name = element.get("name")
        if not name:
            continue
        if element.tag == "select":
            options = [o.get("value", o.text_content()) for o in element.iter("option")]
            chosen = element.value_options and (element.value or None)
            if isinstance(chosen, set | list):
                chosen = next(iter(chosen), None)
            chosen = chosen or next((o for o in options if o), None)
            if chosen is not None:
                values.append((name, chosen))
            continue
        if element.tag == "textarea":
            values.append((name, element.value or FILLER["text"]))
            continue
        kind = (element.get("type") or "text").lower()
        if kind in {"submit", "button", "image"}:
            if not submitted:
                values.append((name, element.get("value", "")))
                submitted = True
        elif kind in {"checkbox", "radio"}:
            if element.checked or kind == "checkbox" or not any(n == name for n, _ in values):
                values.append((name, element.get("value", "y")))
        elif kind == "file":
            values.append((name, "file"))
        elif kind == "hidden":
            values.append((name, element.get("value", "")))
        else:
            values.append((name, element.get("value") or FILLER.get(kind, FILLER["text"])))
    return values


def _harvest_forms(app, clients, own) -> dict[str, list[tuple[str, object]]]:
    """Read every page the administrator and the secretary see; keep each POST form by endpoint."""
    adapter = app.url_map.bind("localhost")
    forms: dict[str, list[tuple[str, object]]] = {}
    conference = db.session.get(Conference, own["conference_id"])
    # Each stage of the conference shows forms of its own; it returns to where it was.
    stages = [
        (ConferenceStatus.ANNOUNCED, {}),
        (ConferenceStatus.IN_PROGRESS, {"started_dt": datetime.now(UTC)}),
        (ConferenceStatus.CLOSED, {"end_dt": datetime.now(UTC)}),
    ]
    for status, moments in stages:
        conference.status = status
        for name, value in moments.items():
            setattr(conference, name, value)
        db.session.commit()
        _harvest_pages(app, adapter, clients, own, forms)
    conference.status = ConferenceStatus.ANNOUNCED
    conference.started_dt = conference.end_dt = None
    db.session.commit()
    return forms


def _harvest_pages(app, adapter, clients, own, forms) -> None:
    for rule, method, _view in _routes(app):
        if method != "GET" or rule.endpoint in {"auth.logout"}:
            continue
        url = _url(rule, own)
        for role in (Role.ADMINISTRATOR, Role.SECRETARY, Role.RESPONDER, ANONYMOUS):
            response = clients[role].get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            text = response.get_data(as_text=True)
            if "<form" not in text:
                continue
            document = lxml.html.fromstring(text, base_url=url)
            for form in document.forms:
                if (form.method or "GET").upper() != "POST":
                    continue
                action = urlsplit(form.action or url).path
                try:
                    endpoint, _args = adapter.match(action, method="POST")
                except Exception:  # noqa: BLE001 - an off-map action is not ours to test
                    continue
                forms.setdefault(endpoint, _form_values(form))


def _post_data(values):
    """Test-client data for ``values``, a small image or CSV file in each file field."""
    data: dict[str, list] = {}
    for name, value in values:
        if value == "file":
            image = io.BytesIO()
            Image.new("RGB", (8, 8)).save(image, "JPEG")
            value = (io.BytesIO(image.getvalue()), "anh.jpg")
        data.setdefault(name, []).append(value)
    return data


# POST routes whose form no page of the matrix's records shows, each with the reason; their
# data is every harvested field at once. Any other POST route must be found in a page's form.
POSTED_WITHOUT_A_FORM = {
    "auth.end_other_sessions": "offered only to an account signed in elsewhere too",
    "wards.move_unit": "offered only for a unit that nothing refers to yet",
    "wards.delete_unit": "offered only for a unit that nothing refers to yet",
    "people.import_confirm": "offered after a file has been read",
    "conferences.agenda_reorder": "the agenda page reorders items from its script",
    "conferences.announce": "offered on a draft conference",
    "conferences.undo_start": "offered just after a conference started",
    "invitations.invite_person": "offered in search results fetched by the page's script",
    "attendance.mark": "offered in the check-in desk's search results",
    "attendance.undo": "offered after a check-in",
    "attendance.check_in_person": "offered in the check-in desk's search results",
    "live.confirm_speaker": "the live console confirms a speaker from its script",
    "live.restore_turn": "offered on a withdrawn turn",
    "minutes.send_back": "offered on submitted minutes",
    "minutes.publish": "offered on submitted minutes",
    "minutes.correct": "offered on published minutes",
    "followup.save_answer": "offered on a referral still awaiting its answer",
    "followup.submit_answer": "offered on a referral still awaiting its answer",
    "followup.review_answer": "offered on an answer awaiting review",
    "followup.request_extension": "offered on a referral still awaiting its answer",
    "followup.request_handover": "offered on a referral still awaiting its answer",
    "ratings.rate_as_asker": "offered on the asker's follow-up page once answered",
}


# Routes that may refuse a staff member of the ward who is not the one to act by sending them
# back to the record with a message (before looking the inner record up), rather than a 404.
REFUSED_BY_REDIRECT = {
    "followup.decide_request": "only the ward's approvers decide; others return to the referral",
}


def _refusals(view, rule, own, other):
    """(principal, records, expected) for every principal that must not pass ``rule``."""
    access = view.access
    if access is not None:
        yield ANONYMOUS, own, "login"
        for role in Role:
            if role not in access:
                yield role, own, "forbidden"
    if not (set(rule.arguments) - VALUE_ARGUMENTS):
        return
    for role in [ANONYMOUS] if access is None else sorted(access - {Role.ADMINISTRATOR}):
        if access is not None:
            yield role, other, "missing"
    parents = set(rule.arguments) & PARENT_ARGUMENTS
    children = set(rule.arguments) - PARENT_ARGUMENTS - VALUE_ARGUMENTS
    if parents and children:
        # A record of another ward reached through one's own: a mixed URL is no way in.
        mixed = {**other, **{name: own[name] for name in PARENT_ARGUMENTS}}
        for role in [ANONYMOUS] if access is None else sorted(access):
            yield role, mixed, "missing"


def test_refused_posts_change_nothing(app, world):
    own, other, clients, fresh_records = world
    forms = _harvest_forms(app, clients, own)
    every_field = list({name: (name, value) for v in forms.values() for name, value in v}.values())
    failures = []
    unclassified = []
    refused = 0
    before = _fingerprint()
    for rule, _method, view in _routes(app):
        if "POST" not in rule.methods:
            continue
        values = forms.get(rule.endpoint)
        if values is None:
            if rule.endpoint not in POSTED_WITHOUT_A_FORM:
                unclassified.append(rule.endpoint)
            values = every_field
        for role, records, expected in _refusals(view, rule, own, other):
            url = _url(rule, records)
            response = clients[role].post(url, data=_post_data(values))
            refused += 1
            status, location = response.status_code, response.headers.get("Location", "")
            if expected == "missing" and rule.endpoint in REFUSED_BY_REDIRECT:
                expected = "redirected"
            if expected == "redirected":
                ok = status == 404 or (status == 302 and not location.startswith("/auth/login"))
            else:
                ok = _check(status, location, expected, "POST")
            if not ok:
                failures.append(f"POST {url} as {role}: {status}, expected {expected}")
            after = _fingerprint()
            changed = sorted(name for name in after if after[name] != before[name])
            if changed:
                failures.append(f"POST {url} as {role} changed {', '.join(changed)}")
            before = after
    assert failures == [], "\n".join(failures)
    # A new POST route must be reachable from a page's form, or say why not.
    assert unclassified == [], f"add to POSTED_WITHOUT_A_FORM with a reason: {unclassified}"

    assert refused > 300
    # The same forms, sent by those allowed, do write: the data is plausible and the
    # fingerprint sees a write.
    for endpoint in ("wards.generate_groups", "people.delete"):
        rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
        client = clients[Role.ADMINISTRATOR]
        response = client.post(_url(rule, own), data=_post_data(forms[endpoint]))
        assert response.status_code == 302, (endpoint, response.status_code)
        assert _fingerprint() != before, endpoint
        before = _fingerprint()
