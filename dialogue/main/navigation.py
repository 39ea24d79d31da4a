"""The menu each role sees, rendered once per role, name, page and language."""

import threading
from dataclasses import dataclass

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from dialogue.auth.models import Role
from dialogue.core.locale import current_locale


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[Role] | None  # None: every role of a ward's staff


_ITEMS = (
    NavItem("main.index", _l("Overview"), None),
    NavItem("conferences.index", _l("Conferences"), None),
    NavItem("followup.queue", _l("Referred questions"), None),
    NavItem("people.index", _l("People"), frozenset({Role.ORGANISER})),
    NavItem("stats.index", _l("Figures"), frozenset({Role.ORGANISER, Role.CHAIR})),
    NavItem("city.index", _l("Wards compared"), frozenset({Role.CITY})),
    NavItem("wards.reference", _l("Reference lists"), frozenset({Role.ADMINISTRATOR})),
    NavItem("accounts.index", _l("Staff accounts"), frozenset({Role.ADMINISTRATOR})),
    NavItem("wards.index", _l("Wards"), frozenset({Role.ADMINISTRATOR})),
    NavItem("city.provinces", _l("Provinces"), frozenset({Role.ADMINISTRATOR})),
    NavItem("audit.index", _l("Audit log"), frozenset({Role.ADMINISTRATOR})),
)
# Stands for the sign-out form's token in a kept menu: the token is the session's, the rest
# of the menu is the same for everyone of one role and name on one page in one language.
_TOKEN_SLOT = "\x00menu-token\x00"
# Roles × pages × languages × names of a ward's staff: a few thousand at most; past the limit
# the kept menus are dropped and rendered again.
_MAX_KEPT = 4_096
_kept: dict[tuple, str] = {}
_kept_lock = threading.Lock()


def navigation_for(user) -> list[NavItem]:
    return [
        item
        for item in _ITEMS
        if (user.role.is_ward_staff if item.roles is None else user.has_role(*item.roles))
    ]


def staff_menu() -> Markup:
    """The signed-in user's menu, with this session's token in its sign-out form."""
    key = (current_locale(), current_user.role, current_user.display_name, request.endpoint)
    html = _kept.get(key)
    if html is None:
        html = render_template("_nav.html", menu_token=_TOKEN_SLOT)
        with _kept_lock:
            if len(_kept) >= _MAX_KEPT:
                _kept.clear()
            _kept[key] = html
    return Markup(html.replace(_TOKEN_SLOT, generate_csrf()))
