"""A resident finds their ward from the public home, then the published minutes and their PDF,
on a desk and on a 360 px phone, without an account and without a cookie."""

from __future__ import annotations

import hashlib
import os

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.demo.seed import load_demo
from dialogue.extensions import db
from dialogue.minutes.models import PublishedDocument
from dialogue.wards.operations import create_ward
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("DIALOGUE_SCREENSHOTS", "/tmp/public-home-shots")


def _shot(page, name: str) -> None:
    os.makedirs(SHOTS, exist_ok=True)
    # A full page of a long document on a busy machine may take longer than an action's 10 s.
    page.screenshot(path=os.path.join(SHOTS, name), full_page=True, timeout=30_000)


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def _overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


@pytest.fixture
def demo(app):
    ward = load_demo("demo-password-1", with_history=False)
    # Other wards of the same city, so that finding one's own takes a search.
    for name, slug in (("Đức Giang", "duc-giang"), ("Bồ Đề", "bo-de"), ("Phúc Lợi", "phuc-loi")):
        create_ward(name=name, slug=slug, province="Thành phố Hà Nội")
    db.session.commit()
    return ward


@pytest.mark.parametrize("device", ["page", "phone"])
def test_a_resident_goes_from_the_home_to_the_published_minutes_and_their_pdf(
    request, live_server, demo, device
):
    page = request.getfixturevalue(device)
    width = 1280 if device == "page" else 360
    problems = _watch_console(page)
    minutes = db.session.scalar(
        sa.select(PublishedDocument).where(PublishedDocument.number_label.like("%/BB-%"))
    )

    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Hội nghị đối thoại với Nhân dân, doanh nghiệp"
    )
    expect(page.get_by_role("link", name="Đăng nhập dành cho cán bộ")).to_be_visible()
    assert _overflow(page) <= 0
    _shot(page, f"home-{width}.png")

    # Found without accents.
    page.get_by_label("Tìm phường, xã của quý vị").fill("thach ban")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_url("**/?q=thach+ban")
    wards = page.locator(".home-ward")
    expect(wards).to_have_count(1)
    assert _overflow(page) <= 0
    wards.get_by_role("link", name="Phường Thạch Bàn").click()

    page.wait_for_url(f"{live_server}/p/{demo.slug}/")
    expect(page.get_by_role("heading", name="Hội nghị sắp tới")).to_be_visible()
    expect(page.get_by_role("heading", name="Hội nghị đã tổ chức")).to_be_visible()
    assert _overflow(page) <= 0
    _shot(page, f"ward-{width}.png")
    page.get_by_role("link", name=f"Biên bản số {minutes.number_label}").click()

    page.wait_for_url(f"**/bien-ban/{minutes.public_code}")
    expect(page.locator(".minutes-doc .doc-title")).to_be_visible()
    assert _overflow(page) <= 0
    _shot(page, f"minutes-{width}.png")
    pdf_link = page.get_by_role("link", name="Tải tệp PDF")
    expect(pdf_link).to_be_visible()
    response = page.request.get(page.evaluate("a => a.href", pdf_link.element_handle()))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.body()).hexdigest() == minutes.pdf_sha256

    # The brand leads back home; nothing on the way set a cookie.
    page.get_by_role("link", name="Đối thoại").first.click()
    page.wait_for_url(f"{live_server}/")
    assert page.context.cookies() == []
    assert problems == []


def test_staff_reach_their_overview_from_the_home_and_the_brand(page, live_server, make_user):
    organiser = make_user(Role.ORGANISER)
    sign_in(page, live_server, organiser)
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Hội nghị đối thoại với Nhân dân, doanh nghiệp"
    )
    expect(page.get_by_role("link", name="Đăng nhập dành cho cán bộ")).to_have_count(0)
    page.get_by_role("link", name="Đối thoại").first.click()
    page.wait_for_url(f"{live_server}/overview")
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
