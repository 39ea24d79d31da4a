"""The menu each role sees."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from dialogue.auth.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[Role] | None  # None: every staff role


_ITEMS = (
    NavItem("main.index", _l("Overview"), None),
    NavItem("conferences.index", _l("Conferences"), None),
    NavItem("followup.queue", _l("Referred questions"), None),
    NavItem("people.index", _l("People"), frozenset({Role.ORGANISER})),
    NavItem("wards.reference", _l("Reference lists"), frozenset({Role.ADMINISTRATOR})),
    NavItem("accounts.index", _l("Staff accounts"), frozenset({Role.ADMINISTRATOR})),
    NavItem("wards.index", _l("Wards"), frozenset({Role.ADMINISTRATOR})),
    NavItem("audit.index", _l("Audit log"), frozenset({Role.ADMINISTRATOR})),
)


def navigation_for(user) -> list[NavItem]:
    return [item for item in _ITEMS if item.roles is None or user.has_role(*item.roles)]
