"""The staff pages of the minutes: overview, editing, submitting, publishing, frozen files."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta

import pdfplumber
import pytest
import sqlalchemy as sa

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.minutes import operations
from dialogue.minutes.models import DraftStatus, MinutesDraft, PublishedDocument
from tests.test_minutes_workflow import build_closed_conference, published, submitted_draft

BB, TB = DocumentType.MINUTES, DocumentType.NOTICE
XSS = '<script>alert("x")</script><img src="file:///etc/passwd" onerror="alert(1)">'


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def login(client, login):
    """Sign in as ``user``, signing out whoever was signed in first."""

    def switch(user):
        client.post("/auth/logout")
        return login(user)

    return switch


@pytest.fixture
def secretary(make_user):
    return make_user(Role.SECRETARY)


@pytest.fixture
def chair(make_user):
    return make_user(Role.CHAIR)


@pytest.fixture
def closed(ward, make_user, make_person, make_conference, secretary):
    return build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )


def _url(conference, path: str = "") -> str:
    return f"/conferences/{conference.id}/minutes/{path}"


def _form(draft: MinutesDraft, **changes) -> dict:
    data = {
        "opening": draft.opening,
        "report_summary": draft.report_summary,
        "conclusion": draft.conclusion,
        "recipients": draft.recipients,
        "turn_order": draft.turn_order.value,
        "version": str(draft.version),
        "action": "save",
    }
    data.update(changes)
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


# -- who sees what ------------------------------------------------------------------------------


def test_the_overview_for_each_role(client, login, closed, make_user, secretary, chair):
    for user, status in (
        (secretary, 200),
        (make_user(Role.ORGANISER), 200),
        (chair, 200),
        (make_user(Role.ADMINISTRATOR), 200),
        (make_user(Role.RESPONDER), 403),
    ):
        login(user)
        assert client.get(_url(closed)).status_code == status, user.role
    login(secretary)
    page = _text(client.get(_url(closed)))
    assert "Minutes (biên bản)" in page and "Notice (thông báo)" in page
    assert "Write the draft" in page and "days left" in page


def test_another_wards_conference_and_documents_are_missing(
    client, login, closed, other_ward, make_user, make_person, make_conference, secretary, chair
):
    document = published(closed, BB, secretary, chair)
    foreign_chair = make_user(Role.CHAIR, ward=other_ward)
    login(foreign_chair)
    for path in ("", "bb/edit", "bb/publish", f"versions/{document.id}.pdf"):
        assert client.get(_url(closed, path)).status_code in (403, 404), path
    assert client.get(_url(closed, f"versions/{document.id}.pdf")).status_code == 404
    # A version asked for under another conference of the same ward is missing too.
    other = build_closed_conference(
        closed.ward, make_user, make_person, make_conference, secretary=secretary
    )
    login(chair)
    assert client.get(_url(other, f"versions/{document.id}")).status_code == 404


def test_a_secretary_not_assigned_to_the_conference_may_not_edit(client, login, closed, make_user):
    login(make_user(Role.SECRETARY))
    assert client.get(_url(closed, "bb/edit")).status_code == 403
    assert client.post(_url(closed, "bb/submit")).status_code == 403


def test_before_the_session_closes_there_is_nothing_to_write(
    client, login, make_conference, secretary
):
    announced = make_conference(status=ConferenceStatus.ANNOUNCED, secretaries=[secretary])
    login(secretary)
    response = client.get(_url(announced, "bb/edit"))
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "written after the session" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MinutesDraft)) == 0


# -- editing ------------------------------------------------------------------------------------


def test_the_edit_page_starts_from_the_records_and_saving_creates_the_draft(
    client, login, closed, secretary
):
    login(secretary)
    page = _text(client.get(_url(closed, "tb/edit")))
    assert "Assessment" in page and "Preview of your text" in page
    assert "Chủ tịch UBND phường tiếp thu ý kiến của các đại biểu." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MinutesDraft)) == 0
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page) or re.search(
        r'name="version" value="(\d+)"', page
    )
    assert version and version.group(1) == "1"

    draft = operations.preview_draft(closed, TB, operations.default_data(closed, TB))
    response = client.post(
        _url(closed, "tb/edit"), data=_form(draft, version="1", conclusion="Kết luận mới.")
    )
    assert response.status_code == 302
    saved = operations.find_draft(closed, TB)
    assert saved.conclusion == "Kết luận mới." and saved.version == 2
    page = _text(client.get(response.headers["Location"]))
    assert "The draft has been saved." in page and "Preview of the saved draft" in page


def test_markup_typed_into_a_field_is_shown_as_text_in_the_preview(
    client, login, closed, secretary
):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    login(secretary)
    response = client.post(
        _url(closed, "bb/edit"),
        data=_form(draft, opening=XSS, conclusion=XSS + "\nhttp://evil.example/", action="preview"),
    )
    page = _text(response)
    assert response.status_code == 200 and "not saved yet" in page
    assert "<script>alert" not in page and 'src="file:///etc/passwd"' not in page
    assert "&lt;script&gt;alert" in page
    assert 'href="http://evil.example' not in page
    # The form keeps what was typed; nothing was saved.
    assert "&lt;img src=&#34;file:///etc/passwd&#34;" in page or "&lt;img src=&quot;file" in page
    db.session.refresh(draft)
    assert draft.opening != XSS and draft.version == 1

    # Saved, it is stored as typed and still escaped wherever it is shown.
    client.post(_url(closed, "bb/edit"), data=_form(draft, opening=XSS))
    db.session.refresh(draft)
    assert draft.opening == XSS
    page = _text(client.get(_url(closed, "bb/edit")))
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_stale_edit_shows_both_texts_and_keeps_what_was_typed(
    client, login, closed, secretary, make_user
):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    stale = _form(draft, conclusion="Thư ký gõ đoạn này.")
    organiser = make_user(Role.ORGANISER)
    operations.update_draft(
        draft,
        operations.DraftData(
            **{**operations.DraftData.of(draft).__dict__, "conclusion": "Văn phòng sửa."}
        ),
        organiser,
        1,
    )
    db.session.commit()
    login(secretary)
    response = client.post(_url(closed, "bb/edit"), data=stale)
    page = _text(response)
    assert response.status_code == 409
    assert "Someone else saved this document" in page
    assert "Văn phòng sửa." in page and "Thư ký gõ đoạn này." in page
    assert 'name="version" type="hidden" value="2"' in page or 'value="2"' in page
    db.session.refresh(draft)
    assert draft.conclusion == "Văn phòng sửa."
    # Saving again from the page now replaces theirs, knowingly.
    response = client.post(_url(closed, "bb/edit"), data={**stale, "version": "2"})
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.conclusion == "Thư ký gõ đoạn này."


def test_the_draft_pdf_is_marked_as_a_draft(client, login, closed, secretary, chair):
    login(chair)
    response = client.get(_url(closed, "bb/draft.pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.data)) as pdf:
        text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "DỰ THẢO" in text and "…/BB-UBND" in text


# -- submitting, sending back, publishing -------------------------------------------------------


def test_submitting_with_missing_parts_names_them(client, login, closed, secretary):
    draft = operations.get_or_create_draft(closed, BB, secretary)
    db.session.commit()
    login(secretary)
    client.post(_url(closed, "bb/edit"), data=_form(draft, conclusion="", recipients=""))
    response = client.post(_url(closed, "bb/submit"), follow_redirects=True)
    page = _text(response)
    assert "cannot be submitted yet" in page
    assert "the conclusion" in page and "at least one recipient" in page
    db.session.refresh(draft)
    assert draft.status is DraftStatus.DRAFT


def test_the_chair_sends_back_and_a_missing_reason_keeps_the_form(
    client, login, closed, secretary, chair
):
    draft = submitted_draft(closed, BB, secretary)
    login(chair)
    response = client.post(_url(closed, "bb/return"), data={"reason": ""})
    assert response.status_code == 400 and "Send back for changes" in _text(response)
    response = client.post(
        _url(closed, "bb/return"), data={"reason": "Bổ sung ý kiến tổ dân phố số 5."}
    )
    assert response.status_code == 302
    db.session.refresh(draft)
    assert draft.status is DraftStatus.DRAFT
    login(secretary)
    assert "Bổ sung ý kiến tổ dân phố số 5." in _text(client.get(_url(closed, "bb/edit")))


def test_only_the_chair_publishes(client, login, closed, secretary, make_user):
    submitted_draft(closed, BB, secretary)
    for role in (Role.SECRETARY, Role.ORGANISER):
        login(make_user(role))
        assert client.get(_url(closed, "bb/publish")).status_code == 403
        assert client.post(_url(closed, "bb/publish"), data={"confirm": "y"}).status_code == 403


def test_the_chair_publishes_and_downloads_the_frozen_files(
    client, login, closed, secretary, chair
):
    submitted_draft(closed, BB, secretary)
    login(chair)
    page = _text(client.get(_url(closed, "bb/publish")))
    assert "Publish version 1" in page and "…/BB-UBND" in page
    response = client.post(_url(closed, "bb/publish"), data={})
    assert response.status_code == 400 and "Tick the box to confirm" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedDocument)) == 0

    response = client.post(_url(closed, "bb/publish"), data={"confirm": "y"})
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Published: 01/BB-UBND, version 1." in page
    document = db.session.scalar(sa.select(PublishedDocument))

    pdf = client.get(_url(closed, f"versions/{document.id}.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == document.pdf_sha256
    assert pdf.headers["ETag"] == f'"{document.pdf_sha256}"'
    assert "BB-01-" in pdf.headers["Content-Disposition"]
    again = client.get(
        _url(closed, f"versions/{document.id}.pdf"),
        headers={"If-None-Match": f'"{document.pdf_sha256}"'},
    )
    assert again.status_code == 304

    html = client.get(_url(closed, f"versions/{document.id}.html"))
    assert html.status_code == 200
    assert hashlib.sha256(html.data).hexdigest() == document.html_sha256
    assert html.headers["ETag"] == f'"{document.html_sha256}"'

    page = _text(client.get(_url(closed, f"versions/{document.id}")))
    assert document.pdf_sha256 in page and "01/BB-UBND" in page

    # Publishing the same version again is refused, and so is editing it.
    response = client.post(_url(closed, "bb/publish"), data={"confirm": "y"}, follow_redirects=True)
    assert "already published" in _text(response)
    login(secretary)
    response = client.get(_url(closed, "bb/edit"), follow_redirects=True)
    assert "start a correction" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedDocument)) == 1


def test_a_correction_through_the_pages(client, login, closed, secretary, chair):
    v1 = published(closed, BB, secretary, chair)
    v1_id, v1_sha = v1.id, v1.pdf_sha256
    login(secretary)
    response = client.post(_url(closed, "bb/correct"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/bb/edit")
    draft = operations.find_draft(closed, BB)
    client.post(_url(closed, "bb/edit"), data=_form(draft, conclusion="Kết luận đã đính chính."))
    client.post(_url(closed, "bb/submit"))
    login(chair)
    page = _text(client.get(_url(closed, "bb/publish")))
    assert "Publish version 2" in page and "Reason for the correction" in page
    response = client.post(_url(closed, "bb/publish"), data={"confirm": "y"})
    assert response.status_code == 400 and "Say why this correction" in _text(response)
    response = client.post(
        _url(closed, "bb/publish"),
        data={"confirm": "y", "correction_reason": "Đính chính phần kết luận."},
    )
    assert response.status_code == 302
    page = _text(client.get(_url(closed)))
    assert "Version 2" in page and "Version 1" in page and "Đính chính phần kết luận." in page
    old = client.get(_url(closed, f"versions/{v1_id}.pdf"))
    assert hashlib.sha256(old.data).hexdigest() == v1_sha


def test_both_published_show_on_the_conference_page_and_the_dashboard(
    client, login, closed, secretary, chair
):
    login(chair)
    page = _text(client.get("/overview"))
    assert "Publication of the minutes" in page and "7 days left" in page
    published(closed, BB, secretary, chair)
    published(closed, TB, secretary, chair)
    page = _text(client.get("/overview"))
    today = datetime.now(UTC).astimezone(closed.start_local.tzinfo).strftime("%d/%m/%Y")
    assert f"Published on {today}" in page
    page = _text(client.get(f"/conferences/{closed.id}"))
    assert "Minutes and conclusion notice" in page and "No. 01/TB-UBND" in page


def test_the_dashboard_counts_the_days_overdue(
    client, login, ward, make_user, make_person, make_conference, secretary, chair
):
    conference = build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )
    conference.start_dt = datetime.now(UTC) - timedelta(days=13)
    conference.planned_end_dt = conference.end_dt = conference.start_dt + timedelta(hours=3)
    db.session.commit()
    login(secretary)
    assert "Overdue by 3 days" in _text(client.get("/overview"))
