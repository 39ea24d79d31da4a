"""The injection corpus in a real browser: the public and staff pages that show it run none of it.

No dialog opens, no element of the corpus (each carries ``data-pwn``) is in the DOM, and the
browser asks no host but the application's for anything.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from dialogue.auth.models import Role, User
from dialogue.extensions import db
from tests.browser.support import sign_in
from tests.injection_corpus import MARKER, LeakListener, payloads, poisoned_conference
from tests.test_access_matrix import _routes, _url, world  # noqa: F401 - ``world`` is a fixture

# Pages that show a conference's text to residents or to its staff.
STAFF_ROLES = (Role.SECRETARY, Role.ADMINISTRATOR)


def _html_pages(app, clients, own, role) -> list[str]:
    """Every page ``role`` may open about the conference, its records and the ward's public site."""
    urls = []
    for rule, method, _view in _routes(app):
        if method != "GET" or not ({"conference_id", "ward_slug"} & set(rule.arguments)):
            continue
        url = _url(rule, own)
        response = clients[role].get(url)
        downloaded = "attachment" in response.headers.get("Content-Disposition", "")
        if response.status_code == 200 and response.mimetype == "text/html" and not downloaded:
            urls.append(url)
        response.close()
    return urls


@pytest.mark.parametrize("role", [None, *STAFF_ROLES], ids=lambda r: getattr(r, "value", "public"))
def test_pages_holding_the_corpus_run_none_of_it(app, world, live_server, page, role):  # noqa: F811
    own, _other, clients, _fresh = world
    with LeakListener() as leak:
        poisoned_conference(own, payloads(leak.url))
        urls = _html_pages(app, clients, own, role)
        assert len(urls) >= (8 if role is None else 20), urls
        if role is not None:
            user = db.session.scalars(sa.select(User).where(User.role == role)).first()
            sign_in(page, live_server, user)

        dialogs, strays = [], []
        app_host = urlsplit(live_server).netloc

        def on_dialog(dialog):
            dialogs.append(f"{page.url}: {dialog.type} {dialog.message!r}")
            dialog.dismiss()

        def on_request(request):
            parts = urlsplit(request.url)
            if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc != app_host:
                strays.append(f"{page.url}: {request.url}")

        # The data a page's scripts fetch to build it (the live pages' snapshot, the console's
        # turns): the page is read once none is in flight. A stream is not a fetch.
        fetching = set()

        def on_fetch(request):
            if request.resource_type in {"fetch", "xhr"}:
                fetching.add(request)

        def on_fetched(request):
            fetching.discard(request)

        page.on("dialog", on_dialog)
        page.on("request", on_request)
        page.on("request", on_fetch)
        page.on("requestfinished", on_fetched)
        page.on("requestfailed", on_fetched)
        injected = []
        shown = 0
        for url in urls:
            fetching.clear()
            page.goto(f"{live_server}{url}", wait_until="load")
            _until_built(page, fetching)
            found = page.evaluate(
                """marker => [...document.querySelectorAll(`[${marker}]`)]
                    .map(e => e.tagName.toLowerCase())""",
                MARKER,
            )
            injected += [f"{url}: <{tag} {MARKER}>" for tag in found]
            shown += page.evaluate("m => document.body.innerText.includes(m)", MARKER)
        assert injected == []
        # The corpus is on the pages, as text.
        assert shown >= 3, shown
        assert dialogs == []
        assert strays == []
        assert leak.requests == []


def _until_built(page, fetching, seconds=10):
    # Quiet for a moment once the last fetch answered: the script that asked has drawn with it.
    deadline = time.monotonic() + seconds
    quiet = 0
    while quiet < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
        quiet = 0 if fetching else quiet + 1
