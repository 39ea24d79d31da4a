"""What several browser journeys do the same way."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import PASSWORD


def until(
    page, condition: Callable[[], object], *, seconds: float = 10, every: float = 0.2
) -> bool:
    """Whether ``condition()`` came true within ``seconds``, asked every ``every`` seconds.

    For what Playwright's ``expect`` cannot see: what the test itself collects, or what a
    script of the page answers. The page runs between the questions, and Playwright hands the
    test the page's events (its requests, their answers) only while the test waits on it.
    """
    for _attempt in range(round(seconds / every)):
        if condition():
            return True
        page.wait_for_timeout(every * 1000)
    return bool(condition())


def sign_in(page, base: str, user, *, english: bool = False) -> None:
    """Sign ``user`` in through the form, as staff do; ``english`` then switches the language.

    Journeys that check screens by their English wording switch, whatever the catalogue says.
    """
    page.goto(f"{base}/auth/login")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    # Ward staff land on their overview, a city officer on the comparison of the wards.
    landing = "/city/" if user.role.value == "city" else "/overview"
    page.wait_for_url(f"{base}{landing}")
    if english:
        page.get_by_role("link", name="English").click()
        page.wait_for_selector("html[lang=en]")
