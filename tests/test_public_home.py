"""The residents' front door: the public home, a ward's page, and a crawl from ``/`` to every PDF."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from dialogue import create_app
from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.demo.seed import load_demo
from dialogue.documents.models import DocumentType
from dialogue.extensions import db
from dialogue.minutes.models import PublishedDocument
from dialogue.public import operations
from dialogue.wards.models import Ward, WardKind
from tests.test_archive import publish

PDF = b"%PDF-1.7 test"


def page_text(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", "", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


def links(response) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', response.text)]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def wards(make_ward, ward):
    """Wards of two cities, one inactive; their names need their accents and their đ."""
    made = {
        "thach-ban": ward,
        "duc-giang": make_ward(name="Đức Giang", slug="duc-giang"),
        "bo-de": make_ward(name="Bồ Đề", slug="bo-de"),
        "ben-thanh": make_ward(
            name="Bến Thành", slug="ben-thanh", province="Thành phố Hồ Chí Minh"
        ),
        "tan-uoc": make_ward(name="Tân Ước", slug="tan-uoc", kind=WardKind.COMMUNE),
    }
    closed = make_ward(name="Đã Đóng", slug="da-dong")
    closed.is_active = False
    db.session.commit()
    return made


def listed(response) -> list[str]:
    return re.findall(r'class="home-ward-name" href="/p/([^/]+)/"', response.text)


# -- the home ----------------------------------------------------------------------------------


def test_the_home_lists_the_active_wards_by_name(client, wards):
    response = client.get("/")
    assert response.status_code == 200
    assert listed(response) == ["ben-thanh", "bo-de", "duc-giang", "tan-uoc", "thach-ban"]
    text = page_text(response)
    assert "Phường Đức Giang" in text and "Xã Tân Ước" in text
    assert "Thành phố Hồ Chí Minh" in text
    assert "Đã Đóng" not in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("duc giang", ["duc-giang"]),
        ("ĐỨC", ["duc-giang"]),
        ("Bo De", ["bo-de"]),
        ("thach  BAN", ["thach-ban"]),
        ("ho chi minh", ["ben-thanh"]),
        ("xa tan", ["tan-uoc"]),
        ("phuong", ["ben-thanh", "bo-de", "duc-giang", "thach-ban"]),
        ("da dong", []),
        ("100%_", []),
    ],
)
def test_the_search_ignores_diacritics_d_stroke_included(client, wards, query, expected):
    response = client.get("/", query_string={"q": query})
    assert response.status_code == 200
    assert listed(response) == expected
    if not expected:
        assert f"No ward or commune matches “{query}”." in page_text(response)


def test_the_home_pages_through_many_wards(client, make_ward, monkeypatch):
    monkeypatch.setattr(operations, "WARDS_PER_PAGE", 2)
    for n in range(5):
        make_ward(name=f"Phúc {n}", slug=f"phuc-{n}")
    first = client.get("/", query_string={"q": "phuc"})
    assert listed(first) == ["phuc-0", "phuc-1"]
    assert "/?page=2&q=phuc" in links(first)
    assert listed(client.get("/", query_string={"q": "phuc", "page": 3})) == ["phuc-4"]
    assert "Go to the first page" in page_text(client.get("/", query_string={"page": 99}))


def test_the_home_shows_each_wards_next_conference(client, wards, make_conference):
    start = datetime(2031, 3, 5, 1, 0, tzinfo=UTC)
    make_conference(status=ConferenceStatus.ANNOUNCED, announced_dt=datetime.now(UTC))
    make_conference(
        ward=wards["bo-de"],
        start_dt=start,
        planned_end_dt=start + timedelta(hours=3),
        status=ConferenceStatus.ANNOUNCED,
        announced_dt=datetime.now(UTC),
    )
    # A draft is nobody's business.
    make_conference(ward=wards["duc-giang"], start_dt=start, planned_end_dt=None)
    text = page_text(client.get("/"))
    assert "Phường Bồ Đề Thành phố Hà Nội Next conference: 05/03/2031" in text
    assert "Phường Đức Giang Thành phố Hà Nội Xã Tân Ước" in text


def test_public_pages_are_the_same_for_every_visitor(app, client, wards, make_user, login):
    """No cookie, no per-visitor token: the home and a ward's page may be kept by any cache."""
    for url in ("/", "/?q=duc", f"/p/{wards['thach-ban'].slug}/"):
        first, again = client.get(url), client.get(url)
        assert first.status_code == again.status_code == 200
        assert again.get_data() == first.get_data()
        assert "Set-Cookie" not in first.headers
        assert "csrf_token" not in first.text
        assert 'class="site-nav"' not in first.text
        # The brand leads home, and staff sign-in is one link away.
        assert '<a class="brand" href="/">' in first.text
        assert "/auth/login" in links(first)
    # Staff see the same home with their menu; their brand leads to their overview.
    login(make_user(Role.ORGANISER))
    home = client.get("/")
    assert home.status_code == 200
    assert 'class="site-nav"' in home.text and '<a class="brand" href="/overview">' in home.text
    assert "/auth/login" not in links(home)
    assert "no-store" in home.headers["Cache-Control"]


def test_the_staff_overview_is_one_link_from_the_home(client, make_user):
    user = make_user(Role.SECRETARY)
    response = client.get("/overview")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    response = client.post(
        "/auth/login", data={"username": user.username, "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/overview"
    overview = client.get("/overview")
    assert overview.status_code == 200 and "Overview" in page_text(overview)


def test_the_error_page_leads_visitors_home_and_staff_to_their_overview(client, make_user, login):
    assert 'href="/">Back to the start page' in client.get("/p/no-such-ward/").text
    login(make_user())
    assert 'href="/overview">Back to the start page' in client.get("/p/no-such-ward/").text


# -- a ward's page -----------------------------------------------------------------------------


@pytest.fixture
def past(make_conference):
    """Conferences held years ago and last month; the older one has its documents published."""

    def held(start, title, **values):
        return make_conference(
            title=title,
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            status=ConferenceStatus.CLOSED,
            announced_dt=start - timedelta(days=10),
            **values,
        )

    old = held(datetime(2020, 6, 30, 1, 0, tzinfo=UTC), "Hội nghị đối thoại năm 2020")
    minutes = publish(old, pdf=PDF)
    notice = publish(old, DocumentType.NOTICE, pdf=PDF)
    corrected = publish(old, pdf=PDF, reason="Sửa tên người phát biểu")
    old.status = ConferenceStatus.PUBLISHED
    recent = held(datetime.now(UTC) - timedelta(days=30), "Hội nghị đối thoại tháng trước")
    db.session.commit()
    return old, recent, (minutes, notice, corrected)


def test_a_wards_page_lists_past_conferences_with_their_documents(
    client, ward, past, make_conference
):
    old, recent, (minutes, notice, corrected) = past
    make_conference(
        title="Hội nghị bị hủy",
        start_dt=datetime.now(UTC) - timedelta(days=60),
        status=ConferenceStatus.CANCELLED,
        announced_dt=datetime.now(UTC) - timedelta(days=70),
    )
    make_conference(title="Bản nháp cũ", start_dt=datetime.now(UTC) - timedelta(days=90))
    response = client.get(f"/p/{ward.slug}/")
    text = page_text(response)
    # Newest first, however old; a draft never.
    assert text.index("tháng trước") < text.index("bị hủy") < text.index("năm 2020")
    assert "Bản nháp cũ" not in text
    assert "The minutes have not been published yet." in text
    # The newest version of each document, its page and its PDF; earlier versions in the archive.
    hrefs = links(response)
    for document in (corrected, notice):
        assert f"/p/{ward.slug}/bien-ban/{document.public_code}" in hrefs
        assert f"/p/{ward.slug}/bien-ban/{document.public_code}.pdf" in hrefs
    assert f"/p/{ward.slug}/bien-ban/{minutes.public_code}" not in hrefs
    assert f"Minutes No. {corrected.number_label}" in text
    assert f"/p/{ward.slug}/bien-ban/" in hrefs
    assert "/" in hrefs


def test_a_wards_page_shows_at_most_the_latest_past_conferences(client, ward, make_conference):
    start = datetime(2015, 1, 10, 1, 0, tzinfo=UTC)
    for n in range(operations.PAST_LIMIT + 2):
        make_conference(
            title=f"Hội nghị số {n}",
            start_dt=start + timedelta(days=180 * n),
            status=ConferenceStatus.CLOSED,
            announced_dt=start,
        )
    text = page_text(client.get(f"/p/{ward.slug}/"))
    assert "Hội nghị số 11" in text and "Hội nghị số 2 " in text
    assert "Hội nghị số 1 " not in text and "Hội nghị số 0 " not in text


# -- the crawl ---------------------------------------------------------------------------------


def _is_public_page(path: str) -> bool:
    return path == "/" or path.startswith(("/p/", "/d/"))


def crawl(client, start: str = "/") -> dict[str, object]:
    """Every public address reachable from ``start`` by following links, with its response.

    Only what a visitor's browser would follow: ``<a href>`` on the same site. Streams and
    files other than the published PDFs are noted, not fetched.
    """
    seen: dict[str, object] = {}
    queue = [start]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        path = urlsplit(url).path
        if path.endswith(("/stream", ".ics")) or (
            path.endswith(".pdf") and "/bien-ban/" not in path
        ):
            seen[url] = None
            continue
        response = client.get(url)
        seen[url] = response
        if response.mimetype != "text/html":
            continue
        for href in links(response):
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc not in ("", "localhost") or not _is_public_page(parts.path):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen:
                queue.append(local)
    return seen


@pytest.fixture
def demo(app):
    ward = load_demo("demo-password-1")
    db.session.commit()
    return ward


def test_a_crawl_from_the_home_reaches_every_published_document_and_its_pdf(app, demo):
    client = app.test_client(use_cookies=False)
    reached = crawl(client)
    documents = db.session.scalars(sa.select(PublishedDocument)).all()
    assert len(documents) >= 2
    for document in documents:
        page = f"/p/{document.conference.ward.slug}/bien-ban/{document.public_code}"
        assert reached.get(page) is not None, f"{document.number_label} not reached"
        assert reached[page].status_code == 200
        pdf = reached.get(f"{page}.pdf")
        assert pdf is not None and pdf.status_code == 200, f"{document.number_label}: no PDF"
        assert pdf.mimetype == "application/pdf"
        assert hashlib.sha256(pdf.data).hexdigest() == document.pdf_sha256
    # Every page on the way answered, and none set a cookie but the question form's.
    for url, response in reached.items():
        if response is None:
            continue
        assert response.status_code in (200, 302), url
        if "/gui-cau-hoi" not in url:
            assert "Set-Cookie" not in response.headers, url
    # The coming conference's notice is on the way too.
    coming = operations.coming_conferences(demo)
    assert coming and all(f"/p/{demo.slug}/hoi-nghi/{c.id}" in reached for c in coming)


# -- the migration -----------------------------------------------------------------------------


def test_the_migration_makes_existing_wards_searchable(app_config, empty_database_url):
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="4bfc17b0a65d")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO wards (slug, name, kind, province, parent_agency, place_name, "
                    "issuer_code, timezone, address, is_active, shows_speaker_names, "
                    "created_dt, updated_dt) VALUES ('duc-giang', 'Đức Giang', 'phuong', "
                    "'Thành phố Hà Nội', '', 'Đức Giang', 'UBND', 'Asia/Ho_Chi_Minh', '', "
                    ":yes, :no, :now, :now)"
                ),
                {"yes": True, "no": False, "now": datetime.now(UTC)},
            )
        upgrade(revision="b2c3d4e5f601")
        with db.engine.connect() as connection:
            text = connection.execute(sa.text("SELECT search_text FROM wards")).scalar_one()
        # What ``Ward.refresh_search_text`` writes for a ward saved from now on.
        ward = Ward(name="Đức Giang", province="Thành phố Hà Nội", kind=WardKind.WARD)
        ward.refresh_search_text()
        assert text == ward.search_text == "duc giang thanh pho ha noi phuong duc giang"
        db.session.remove()
        db.engine.dispose()
