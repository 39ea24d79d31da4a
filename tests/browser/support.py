"""What several browser journeys do the same way."""

from __future__ import annotations

from tests.conftest import PASSWORD


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
