"""The chair publishes a BB in Chromium from the minutes overview, then downloads its PDF."""

from __future__ import annotations

import hashlib
import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.minutes import operations
from dialogue.minutes.models import PublishedDocument
from tests.browser.support import sign_in
from tests.test_minutes_workflow import build_closed_conference

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"minutes-{name}.png"), full_page=True)


def test_the_chair_publishes_the_minutes_and_downloads_the_pdf(
    page, live_server, ward, make_user, make_person, make_conference, tmp_path
):
    secretary = make_user(Role.SECRETARY)
    conference = build_closed_conference(
        ward, make_user, make_person, make_conference, secretary=secretary
    )
    draft = operations.get_or_create_draft(conference, DocumentType.MINUTES, secretary)
    operations.submit_draft(draft, secretary)
    db.session.commit()
    chair = make_user(Role.CHAIR)

    sign_in(page, live_server, chair, english=True)
    expect(page.get_by_text("Publication of the minutes")).to_be_visible()
    page.goto(f"{live_server}/conferences/{conference.id}/minutes/")
    section = page.locator("#bb")
    expect(section.get_by_text("Submitted to the chair", exact=True)).to_be_visible()
    _shot(page, "overview-submitted")
    section.get_by_role("link", name="Review and publish").click()
    page.wait_for_url("**/minutes/bb/publish")
    expect(page.get_by_role("heading", name="Publish version 1")).to_be_visible()
    expect(page.locator(".draft-preview")).to_contain_text("BIÊN BẢN")
    _shot(page, "publish")

    # Without the confirmation nothing is published, and the page says why.
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Tick the box to confirm the approval.")).to_be_visible()
    page.get_by_label("I have read this document and approve it for publication.").check()
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url("**/minutes/#bb")
    expect(page.get_by_text("Published: 01/BB-UBND, version 1.")).to_be_visible()
    expect(section.get_by_text("Number: 01/BB-UBND")).to_be_visible()
    _shot(page, "overview-published")

    with page.expect_download() as info:
        section.get_by_role("link", name="PDF (").click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert download.suggested_filename == "BB-01-" + target.name.split("-", 2)[2]
    db.session.rollback()  # end the test's snapshot: the server has written since
    document = db.session.scalar(sa.select(PublishedDocument))
    content = target.read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == document.pdf_sha256
    expect(section.get_by_text(document.pdf_sha256)).to_be_visible()
