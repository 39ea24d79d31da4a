"""An organiser closes a session in Chromium: rows of tasks added and removed without losing
what was typed, a mistake shown in its row, then the conclusion on the conference page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from dialogue.auth.models import Role
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.extensions import db
from dialogue.live.models import LiveEvent
from dialogue.wards.models import Unit
from tests.browser.support import sign_in

pytestmark = pytest.mark.browser

CONCLUSION = (
    "Chủ tịch UBND phường tiếp thu ý kiến của các đại biểu.\n"
    "Đề nghị các tổ dân phố tham gia giám sát việc giải quyết thủ tục hành chính."
)


def test_organiser_closes_the_session_with_two_tasks(
    page, live_server, make_user, make_conference, ward, tmp_path
):
    db.session.add_all(
        [
            Unit(ward=ward, name="Bộ phận Một cửa"),
            Unit(ward=ward, name="Công chức Địa chính - Xây dựng"),
        ]
    )
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    conference = make_conference(
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.IN_PROGRESS,
    )
    sign_in(page, live_server, make_user(Role.ORGANISER), english=True)
    page.goto(f"{live_server}/conferences/{conference.id}")
    page.get_by_role("link", name="Close the conference").first.click()
    page.wait_for_url(f"**/conferences/{conference.id}/close")
    # The end is now on the ward clock: already filled in.
    assert page.locator("#end_time").input_value()

    page.get_by_label("The chair's conclusion").fill(CONCLUSION)
    page.locator("#tasks-0-content").fill("Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.")
    page.locator("#tasks-0-unit_id").select_option(label="Bộ phận Một cửa")
    page.locator("#tasks-0-deadline").fill("2099-12-31")
    page.locator("#tasks-1-content").fill("Nhiệm vụ gõ nhầm, sẽ bỏ.")
    page.locator("#tasks-2-content").fill("Rà soát hồ sơ cấp giấy chứng nhận còn tồn đọng.")

    # Without a script, removing a row sends the form back: the rest stays as typed.
    page.get_by_role("button", name="Remove task 2").click()
    expect(page.locator("#tasks-2-content")).to_have_count(0)
    expect(page.locator("#tasks-1-content")).to_have_value(
        "Rà soát hồ sơ cấp giấy chứng nhận còn tồn đọng."
    )
    expect(page.locator("#tasks-0-unit_id option:checked")).to_have_text("Bộ phận Một cửa")
    expect(page.locator("#tasks-0-deadline")).to_have_value("2099-12-31")
    expect(page.get_by_label("The chair's conclusion")).to_have_value(CONCLUSION)

    page.get_by_role("button", name="Add a task").click()
    expect(page.locator("#tasks-2-content")).to_be_focused()
    expect(page.locator("#tasks-1-content")).to_have_value(
        "Rà soát hồ sơ cấp giấy chứng nhận còn tồn đọng."
    )

    # Enter in a field saves (it does not remove the first row); the missing unit is shown
    # in its row, and nothing is lost.
    page.locator("#end_time").press("Enter")
    expect(page.locator("#tasks-1-unit_id-error")).to_have_text(
        "Choose the unit responsible for the task."
    )
    expect(page.locator("#tasks-0-content")).to_have_value(
        "Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa."
    )
    page.screenshot(path=str(tmp_path / "close-error.png"), full_page=True)

    page.locator("#tasks-1-unit_id").select_option(label="Công chức Địa chính - Xây dựng")
    page.locator("#tasks-1-deadline").fill("2099-08-31")
    page.get_by_role("button", name="Close the conference", exact=True).click()

    page.wait_for_url(f"**/conferences/{conference.id}")
    expect(page.get_by_text("The conference is closed.")).to_be_visible()
    panel = page.locator("#conclusion")
    expect(panel.locator(".conclusion-text p")).to_have_text(CONCLUSION.split("\n"))
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.")
    expect(rows.nth(0)).to_contain_text("31/12/2099")
    expect(rows.nth(1)).to_contain_text("Công chức Địa chính - Xây dựng")
    expect(panel.get_by_role("link", name="Edit the conclusion and tasks")).to_be_visible()
    page.screenshot(path=str(tmp_path / "closed-detail.png"), full_page=True)

    db.session.rollback()  # end the test's own snapshot: the server wrote since
    stored = db.session.get(Conference, conference.id)
    assert stored.status is ConferenceStatus.CLOSED
    assert [task.content for task in stored.conclusion_tasks] == [
        "Bồi dưỡng kỹ năng giao tiếp cho công chức một cửa.",
        "Rà soát hồ sơ cấp giấy chứng nhận còn tồn đọng.",
    ]
    kinds = db.session.scalars(
        sa.select(LiveEvent.kind).where(LiveEvent.conference_id == conference.id)
    ).all()
    assert kinds == ["conference.closed"]
