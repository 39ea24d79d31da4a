"""The guides of each role, the accessibility statement, and the markup the checkers asked for.

The whole site is checked by axe-core and the Nu Html Checker in
tests/browser/test_accessibility.py; these are the fast checks of what it found, which run
without a browser or Java.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from dialogue.auth.models import Role
from dialogue.core.dates import html_datetime
from dialogue.extensions import db
from dialogue.help.views import GUIDE_PATHS

GUIDE_TITLES = {
    Role.ADMINISTRATOR: "Hướng dẫn cho quản trị viên",
    Role.ORGANISER: "Hướng dẫn cho cán bộ tổ chức",
    Role.SECRETARY: "Hướng dẫn cho thư ký",
    Role.CHAIR: "Hướng dẫn cho chủ tọa",
    Role.RESPONDER: "Hướng dẫn cho đơn vị trả lời",
    Role.CITY: "Hướng dẫn cho cán bộ cấp tỉnh/thành phố",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_a_guide_in_vietnamese_linking_the_others(client, role):
    page = client.get(GUIDE_PATHS[role]).get_data(as_text=True)
    assert f'<h1 id="guide-title">{GUIDE_TITLES[role]}</h1>' in page
    for other in Role:
        assert f'href="{GUIDE_PATHS[other]}"' in page
    assert 'href="/kha-nang-tiep-can"' in page


def test_a_guide_names_the_buttons_as_the_screens_do(client):
    page = client.get(GUIDE_PATHS[Role.SECRETARY]).get_data(as_text=True)
    # The screens' own labels, through their own messages.
    assert "“Mở bàn thư ký”" in page
    assert "“Trình chủ tọa”" in page
    assert "“Chuyển trả lời bằng văn bản”" in page


def test_the_guides_are_in_english_too(client):
    client.get("/locale", query_string={"locale": "en"})
    page = client.get(GUIDE_PATHS[Role.CHAIR]).get_data(as_text=True)
    assert "Guide for the chair" in page
    assert "“Approve and publish”" in page


@pytest.mark.parametrize("role", list(Role))
def test_every_staff_screen_links_the_guide_of_the_users_role(client, login, make_user, role):
    login(make_user(role))
    for url in ("/conferences/", "/auth/password"):
        page = client.get(url).get_data(as_text=True)
        assert re.search(rf'<a href="{GUIDE_PATHS[role]}" class="nav-help">Hướng dẫn</a>', page)
    guide = client.get(GUIDE_PATHS[role]).get_data(as_text=True)
    assert "(vai trò của bạn)" in guide
    assert re.search(rf'href="{GUIDE_PATHS[role]}" class="nav-help" aria-current="page"', guide)


def test_the_help_index_lists_every_role(client):
    page = client.get("/huong-dan/").get_data(as_text=True)
    for role in Role:
        assert f'href="{GUIDE_PATHS[role]}"' in page
    assert "Người dân không cần tài khoản" in page


def test_the_accessibility_statement_is_public_and_names_where_to_report(client, make_ward):
    make_ward(name="Cự Khối", slug="cu-khoi", address="Số 1 phố Cự Khối, Hà Nội")
    merged = make_ward(name="Đã Gộp", slug="da-gop")
    merged.is_active = False
    db.session.commit()
    response = client.get("/kha-nang-tiep-can")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 id="statement-title">Tuyên bố về khả năng tiếp cận</h1>' in page
    assert "WCAG" in page and "axe-core" in page and "Nu Html Checker" in page
    assert "Ủy ban nhân dân phường Cự Khối</strong>: Số 1 phố Cự Khối, Hà Nội" in page
    assert "Đã Gộp" not in page


def test_every_page_links_the_statement_from_its_footer(client):
    for url in ("/auth/login", "/huong-dan/", "/no-such-page"):
        page = client.get(url).get_data(as_text=True)
        footer = page[page.index('<footer class="site-footer">') :]
        assert 'href="/kha-nang-tiep-can"' in footer, url


# -- what the checkers found ----------------------------------------------------------------------


def test_a_time_element_gets_a_valid_datetime():
    # HTML allows at most milliseconds; the audit log printed microseconds.
    value = datetime(2026, 12, 6, 3, 8, 57, 779571, tzinfo=UTC)
    assert html_datetime(value) == "2026-12-06T03:08:57+00:00"


def test_a_csrf_token_has_no_id(app):
    # A page often holds several forms (announce and cancel): their tokens' ids repeated.
    from dialogue.conferences.forms import CancelForm

    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context():
        hidden = str(CancelForm().hidden_tag())
    assert 'name="csrf_token"' in hidden
    assert "id=" not in hidden


def test_a_person_picker_without_hint_has_no_empty_describedby(client, login, make_user):
    login(make_user(Role.ORGANISER))
    page = client.get("/conferences/new").get_data(as_text=True)
    assert "person-picker" in page
    assert 'aria-describedby=""' not in page
