"""Every route × every role × a record of another ward, generated from the URL map.

A new route cannot be forgotten: it must declare its audience (``public``, ``login_required``
or ``role_required``) and every URL argument must name a record kind known below.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import UTC, datetime

import pytest
from PIL import Image

from dialogue.attendance.models import Attendee
from dialogue.audit.models import AuditAction, AuditEvent
from dialogue.auth.models import Role
from dialogue.city.operations import assign_province, get_or_create_province
from dialogue.conferences.models import AgendaItem, ConferenceStatus
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
