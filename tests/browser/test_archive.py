"""A resident reads published minutes on a 360 px phone: no sideways page, larger text on
request (remembered), the downloaded PDF checked against its fingerprint, search with marks."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dialogue.conferences.models import ConferenceStatus
from dialogue.extensions import db
from dialogue.live.models import TurnOutcome
from dialogue.photos import operations as photo_operations
from dialogue.wards.models import ResidentialGroup
from tests.test_archive import START_2020, TITLE_2020, add_turn, jpeg, publish

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/archive-shots")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


@pytest.fixture
def published(ward, make_conference):
    conference = make_conference(
        title=TITLE_2020,
        start_dt=START_2020,
        planned_end_dt=START_2020 + timedelta(hours=3),
        status=ConferenceStatus.CLOSED,
        announced_dt=START_2020 - timedelta(days=10),
    )
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    db.session.add(group)
    add_turn(
        conference,
        "Đề nghị đơn giản hóa thủ tục đăng ký khai sinh cho trẻ em ở khu Đức Thắng.",
        position=1,
        area=ward.procedure_areas[0],
        speaker_name="Phạm Thị Riêng Tư",
        speaker_group=group,
        outcome=TurnOutcome.ANSWERED,
        answerer_name="Ông Nguyễn Văn Chủ - Chủ tịch UBND phường",
        answer="Phường đã rút ngắn thời gian giải quyết thủ tục xuống còn 1 ngày làm việc.",
    )
    photo_operations.add_photo(
        conference, jpeg(size=(640, 480)), caption="Toàn cảnh hội nghị", uploaded_by=None
    )
    db.session.commit()
    body = " ".join(["Đại biểu phát biểu ý kiến về cải cách thủ tục hành chính."] * 12)
    return publish(conference, body=body)


def _overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_the_minutes_read_on_a_phone_without_sideways_scrolling(live_server, phone, published):
    problems = _watch_console(phone)
    url = f"{live_server}/p/{published.conference.ward.slug}/bien-ban/{published.public_code}"
    phone.goto(url)
    expect(phone.locator(".minutes-doc .doc-title")).to_have_text("Biên bản")
    assert _overflow(phone) <= 0
    # The wide table of figures scrolls inside its own box.
    table = phone.locator(".minutes-doc table.grid")
    sizes = table.evaluate("t => [t.scrollWidth, t.clientWidth]")
    assert sizes[0] > sizes[1], sizes
    assert table.evaluate("t => t.getBoundingClientRect().right") <= 360
    expect(phone.locator(".archive-photos figcaption")).to_have_text("Toàn cảnh hội nghị")
    # Loaded lazily: it comes when scrolled to.
    phone.locator(".archive-photos img").scroll_into_view_if_needed()
    expect(phone.locator(".archive-photos img")).to_have_js_property("complete", True)
    assert phone.locator(".archive-photos img").evaluate("i => i.naturalWidth") > 0
    _shot(phone, "document-phone.png")

    # Printing shows the document alone.
    phone.emulate_media(media="print")
    for hidden in (".archive-meta", ".archive-check", ".archive-photos", ".site-header"):
        assert phone.locator(hidden).evaluate("e => getComputedStyle(e).display") == "none"
    assert phone.locator(".minutes-doc").is_visible()
    phone.emulate_media(media="screen")
    assert problems == []


def test_larger_text_is_remembered_on_the_device(live_server, phone, published):
    problems = _watch_console(phone)
    url = f"{live_server}/p/{published.conference.ward.slug}/bien-ban/{published.public_code}"
    phone.goto(url)
    paragraph = phone.locator(".minutes-doc p").nth(2)

    def size() -> float:
        return paragraph.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")

    normal = size()
    button = phone.get_by_role("button", name="Larger text")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    large = size()
    assert large >= normal * 1.2, (normal, large)
    assert _overflow(phone) <= 0
    _shot(phone, "document-phone-large.png")

    phone.reload()
    expect(phone.get_by_role("button", name="Larger text")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert size() == large
    phone.get_by_role("button", name="Larger text").click()
    expect(phone.get_by_role("button", name="Larger text")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert size() == normal
    phone.reload()
    expect(phone.get_by_role("button", name="Larger text")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert size() == normal
    assert problems == []


def test_a_downloaded_pdf_is_checked_against_its_fingerprint(live_server, phone, published):
    problems = _watch_console(phone)
    slug = published.conference.ward.slug
    phone.goto(f"{live_server}/p/{slug}/bien-ban/{published.public_code}")
    served = phone.request.get(f"{live_server}/p/{slug}/bien-ban/{published.public_code}.pdf")
    assert served.ok
    pdf = served.body()
    uploads = []
    phone.on("request", lambda r: uploads.append(r.url) if r.method != "GET" else None)

    chooser = phone.get_by_label("Choose a PDF you have downloaded")
    result = phone.locator("#archive-hash-result")
    chooser.set_input_files(
        {"name": "bien-ban-01-BB-UBND-2020.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    expect(result).to_have_text("The file matches: it is exactly the published PDF.")
    expect(result).to_have_class("archive-hash-result is-match")
    _shot(phone, "document-phone-hash-match.png")

    altered = pdf[:-10] + b"%%EOF\n \n\n"
    chooser.set_input_files(
        {"name": "bien-ban-sua.pdf", "mimeType": "application/pdf", "buffer": altered}
    )
    expect(result).to_have_text(
        "The file does not match: it is not the published PDF of this version."
    )
    expect(result).to_have_class("archive-hash-result is-mismatch")
    # The browser computed both fingerprints itself: nothing was sent.
    assert uploads == []
    assert problems == []


def test_search_on_a_phone_marks_the_words_found(live_server, phone, published):
    problems = _watch_console(phone)
    slug = published.conference.ward.slug
    phone.goto(f"{live_server}/p/{slug}/bien-ban/")
    expect(phone.locator(".archive-entry-title")).to_have_text(TITLE_2020)
    assert _overflow(phone) <= 0
    _shot(phone, "index-phone.png")
    phone.get_by_label("Search the questions and answers").fill("thu tuc duc")
    phone.get_by_role("button", name="Search").click()
    expect(phone.locator(".archive-count")).to_have_text("Turns found: 1")
    phone.wait_for_load_state()
    marks = phone.locator(".archive-hit mark").all_inner_texts()
    assert "thủ" in marks and "tục" in marks and "Đức" in marks
    assert "Riêng Tư" not in phone.locator("main").inner_text()
    assert _overflow(phone) <= 0
    _shot(phone, "search-phone.png")
    assert problems == []


@pytest.fixture
def demo_published(app):
    """The demo's 2020 conference with its BB and TB as the renderer publishes them."""
    import sqlalchemy as sa

    from dialogue.conferences.models import Conference
    from dialogue.demo.seed import load_demo
    from dialogue.documents.models import DocumentType
    from tests.test_archive import publish_rendered

    ward = load_demo("demo-password-1")
    db.session.commit()
    # The demo's first conference is the one held on 30/6/2020; the other is still to come.
    conference = db.session.scalar(
        sa.select(Conference).where(Conference.ward_id == ward.id).order_by(Conference.start_dt)
    )
    return publish_rendered(conference), publish_rendered(conference, DocumentType.NOTICE)


@pytest.mark.parametrize("width", [360, 1280])
def test_the_rendered_minutes_of_the_demo_fit_the_screen(
    live_server, browser, demo_published, width
):
    bb, tb = demo_published
    context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    problems = _watch_console(page)
    try:
        for document, name in ((bb, "bb"), (tb, "tb")):
            page.goto(
                f"{live_server}/p/{document.conference.ward.slug}/bien-ban/{document.public_code}"
            )
            expect(page.locator(".minutes-doc .doc-title")).to_be_visible()
            assert _overflow(page) <= 0, (name, width)
            _shot(page, f"demo-{name}-{width}.png")
            if width > 1000:
                # Printed from the browser: the document alone, on A4.
                page.emulate_media(media="print")
                assert (
                    page.locator(".archive-meta").evaluate("e => getComputedStyle(e).display")
                    == "none"
                )
                page.pdf(path=os.path.join(SHOTS, f"demo-{name}-printed.pdf"), format="A4")
                page.emulate_media(media="screen")
        assert problems == []
    finally:
        context.close()
