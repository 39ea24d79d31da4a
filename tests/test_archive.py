"""The public archive: published minutes listed, shown, served as PDF, searched, with photos."""

from __future__ import annotations

import hashlib
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string, url_for
from PIL import Image

from dialogue.archive import operations
from dialogue.conferences.models import ConferenceStatus
from dialogue.core.text import fold
from dialogue.documents.models import DocumentType
from dialogue.documents.operations import allocate_number
from dialogue.documents.pdf import html_to_pdf
from dialogue.extensions import db
from dialogue.live.models import Turn, TurnOutcome
from dialogue.minutes.models import DraftStatus, MinutesDraft, PublishedDocument
from dialogue.photos import operations as photo_operations
from dialogue.wards.models import ProcedureArea, ResidentialGroup, Unit

# 30/6/2020 8:00 in Hà Nội.
START_2020 = datetime(2020, 6, 30, 1, 0, tzinfo=UTC)
# 20/12/2019 8:00.
START_2019 = datetime(2019, 12, 20, 1, 0, tzinfo=UTC)
TITLE_2020 = "Hội nghị đối thoại về cải cách thủ tục hành chính 6 tháng đầu năm 2020"
TITLE_2019 = "Hội nghị đối thoại về cải cách thủ tục hành chính năm 2019"
RESIDENT = "Phạm Thị Riêng Tư"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'

# A fragment as the renderer freezes it: the decree's header, a title, paragraphs, a wide table
# of figures and the signatures; every text goes through Jinja's escaping.
FRAGMENT = """
{% from "documents/_layout.html" import header, paragraphs, recipients %}
{{ header(ward, number=number, place_date=place_date) }}
<p class="doc-title">{{ kind }}</p>
<p class="doc-subject">{{ subject }}</p>
{{ paragraphs(body) }}
<table class="grid">
  <thead><tr>{% for h in heads %}<th>{{ h }}</th>{% endfor %}</tr></thead>
  <tbody>{% for row in rows %}<tr>{% for cell in row %}<td class="num">{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table>
<table class="signatures"><tr>
  <td><span class="sign-title">Thư ký</span><span class="sign-space"></span><span class="sign-name">Lê Thị Thư</span></td>
  <td><span class="sign-title">Chủ tọa</span><span class="sign-space"></span><span class="sign-name">Nguyễn Văn Chủ</span></td>
</tr></table>
{{ recipients(["Như thành phần mời", "Lưu: VT, Hồ sơ"]) }}
"""
HEADS = [
    "Lĩnh vực",
    "Tổng số hồ sơ tiếp nhận",
    "Trực tuyến",
    "Trực tiếp",
    "Đã giải quyết đúng hạn",
    "Đang giải quyết trong hạn",
    "Quá hạn",
    "Trước hạn từ 4 giờ",
]
_pdf_cache: dict[str, bytes] = {}


def fragment(conference, number_label: str, *, body: str = "", kind: str = "Biên bản") -> str:
    ward = conference.ward
    return render_template_string(
        FRAGMENT,
        ward=ward,
        number=number_label,
        place_date=f"{ward.place_name}, ngày 05 tháng 7 năm 2020",
        kind=kind,
        subject=conference.title,
        body=body or "Hội nghị bắt đầu lúc 8 giờ 00 phút tại Hội trường UBND phường.",
        heads=HEADS,
        rows=[["Tư pháp - Hộ tịch", "2.685", "568", "2.117", "2.668", "17", "0", "450"]] * 3,
    )


def pdf_of(text: str) -> bytes:
    """A real PDF of ``text`` (rendered once per text and test run: WeasyPrint is slow)."""
    if text not in _pdf_cache:
        _pdf_cache[text] = html_to_pdf(
            f"<html lang='vi'><body>{text}</body></html>", stylesheets=("css/document.css",)
        )
    return _pdf_cache[text]


def publish(
    conference,
    doc_type: DocumentType = DocumentType.MINUTES,
    *,
    body: str = "",
    reason: str = "",
    published_dt: datetime | None = None,
    pdf: bytes | None = None,
) -> PublishedDocument:
    """Publish the next version of ``conference``'s ``doc_type`` as the publishing step would."""
    draft = db.session.scalar(
        sa.select(MinutesDraft).filter_by(conference_id=conference.id, doc_type=doc_type)
    )
    if draft is None:
        draft = MinutesDraft(conference=conference, doc_type=doc_type)
        db.session.add(draft)
        db.session.flush()
    draft.status = DraftStatus.PUBLISHED
    previous = draft.latest
    if previous is not None:
        number = previous.number
    else:
        number = allocate_number(
            conference.ward, doc_type, conference=conference, year=conference.start_local.year
        )
    kind = "Biên bản" if doc_type is DocumentType.MINUTES else "Thông báo"
    text = fragment(conference, number.label, body=body, kind=kind)
    data = pdf if pdf is not None else pdf_of(text)
    document = PublishedDocument(
        draft=draft,
        conference=conference,
        doc_type=doc_type,
        version=previous.version + 1 if previous else 1,
        number=number,
        number_label=number.label,
        correction_reason=reason,
        html=text,
        pdf=data,
        pdf_sha256=hashlib.sha256(data).hexdigest(),
        html_sha256=hashlib.sha256(text.encode()).hexdigest(),
        pdf_size=len(data),
        title=f"{kind} {conference.title}",
        published_dt=published_dt or conference.start_dt + timedelta(days=5),
    )
    db.session.add(document)
    db.session.flush()
    # As publishing does: the conference's results are published once both documents are.
    published_types = set(
        db.session.scalars(
            sa.select(PublishedDocument.doc_type).filter_by(conference_id=conference.id)
        )
    )
    if published_types >= {DocumentType.MINUTES, DocumentType.NOTICE}:
        conference.status = ConferenceStatus.PUBLISHED
    db.session.commit()
    return document


def publish_rendered(conference, doc_type: DocumentType = DocumentType.MINUTES):
    """Publish ``conference``'s document as the renderer makes it (already published: that one)."""
    from dialogue.minutes.compose import document_context, draft_or_defaults
    from dialogue.minutes.models import new_public_code
    from dialogue.minutes.render import render_document_html, render_document_pdf

    existing = db.session.scalar(
        sa.select(PublishedDocument)
        .filter_by(conference_id=conference.id, doc_type=doc_type)
        .order_by(PublishedDocument.version.desc())
    )
    if existing is not None:
        return existing
    draft = db.session.scalar(
        sa.select(MinutesDraft).filter_by(conference_id=conference.id, doc_type=doc_type)
    ) or draft_or_defaults(conference, doc_type)
    draft.status = DraftStatus.PUBLISHED
    db.session.add(draft)
    number = allocate_number(
        conference.ward, doc_type, conference=conference, year=conference.start_local.year
    )
    code = new_public_code()
    published_dt = conference.start_dt + timedelta(days=3)
    context = document_context(
        conference,
        draft,
        number_label=number.label,
        version=1,
        public_url=url_for("archive.short_link", code=code, _external=True),
        public_code=code,
        published_dt=published_dt,
    )
    text = render_document_html(context)
    data = render_document_pdf(context)
    document = PublishedDocument(
        draft=draft,
        conference=conference,
        doc_type=doc_type,
        version=1,
        number=number,
        number_label=number.label,
        public_code=code,
        html=text,
        pdf=data,
        pdf_sha256=hashlib.sha256(data).hexdigest(),
        html_sha256=hashlib.sha256(text.encode()).hexdigest(),
        pdf_size=len(data),
        title=context["metadata"]["title"],
        published_dt=published_dt,
    )
    db.session.add(document)
    db.session.commit()
    return document


def add_turn(conference, question: str, *, position: int, area=None, **values) -> Turn:
    turn = Turn(
        conference=conference,
        position=position,
        question=question,
        procedure_area=area,
        **values,
    )
    db.session.add(turn)
    db.session.commit()
    return turn


def area(ward, code: str) -> ProcedureArea:
    return next(a for a in ward.procedure_areas if a.code == code)


def jpeg(colour=(200, 30, 30), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def closed(make_conference):
    """Two conferences that took place, 2019 and 2020, closed but not yet published."""

    def make(start, title):
        return make_conference(
            title=title,
            start_dt=start,
            planned_end_dt=start + timedelta(hours=3),
            status=ConferenceStatus.CLOSED,
            announced_dt=start - timedelta(days=10),
        )

    return make(START_2020, TITLE_2020), make(START_2019, TITLE_2019)


def page_text(response) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


# -- the list --------------------------------------------------------------------------------


def test_the_list_shows_published_documents_newest_first_with_their_versions(
    client, ward, closed, make_conference
):
    c2020, c2019 = closed
    bb2019 = publish(c2019)
    bb2020_v1 = publish(c2020)
    tb2020 = publish(c2020, DocumentType.NOTICE)
    bb2020_v2 = publish(c2020, reason="Sửa số liệu hồ sơ trực tuyến.")
    # A conference whose minutes are still a draft is not in the archive.
    draft_only = make_conference(
        title="Hội nghị chưa công bố biên bản", start_dt=START_2020 + timedelta(days=60)
    )
    db.session.add(MinutesDraft(conference=draft_only, doc_type=DocumentType.MINUTES))
    db.session.commit()

    response = client.get(f"/p/{ward.slug}/bien-ban/")
    assert response.status_code == 200
    text = page_text(response)
    body = response.get_data(as_text=True)
    assert text.index(TITLE_2020) < text.index(TITLE_2019)
    assert "Hội nghị chưa công bố biên bản" not in text
    # The newest version is the one linked under the document's name; the first is kept.
    assert f"Minutes No. {bb2020_v2.number_label}" in text
    assert f'/p/{ward.slug}/bien-ban/{bb2020_v2.public_code}"' in body
    assert f'/p/{ward.slug}/bien-ban/{bb2020_v1.public_code}"' in body
    assert "version 1 (superseded)" in text
    assert "version 2 ·" in text
    assert f"Conclusion notice No. {tb2020.number_label}" in text
    assert f"/p/{ward.slug}/bien-ban/{bb2019.public_code}.pdf" in body
    # Minutes before the notice of the same conference.
    assert text.index(f"Minutes No. {bb2020_v2.number_label}") < text.index("Conclusion notice")
    assert bb2020_v1.number_label == bb2020_v2.number_label == "01/BB-UBND"


def test_the_list_filters_by_year_and_procedure_area(client, ward, closed):
    c2020, c2019 = closed
    publish(c2020)
    publish(c2019)
    land = area(ward, "DD") if any(a.code == "DD" for a in ward.procedure_areas) else None
    land = land or ward.procedure_areas[5]
    civil = ward.procedure_areas[0]
    add_turn(c2020, "Hỏi về cấp giấy chứng nhận quyền sử dụng đất", position=1, area=land)
    add_turn(c2019, "Hỏi về đăng ký khai sinh", position=1, area=civil)
    # A withdrawn turn does not put its conference in an area.
    add_turn(
        c2019,
        "Câu hỏi rút lại",
        position=2,
        area=land,
        withdrawn_dt=START_2019 + timedelta(hours=1),
    )

    def titles(query: str) -> tuple[bool, bool]:
        text = page_text(client.get(f"/p/{ward.slug}/bien-ban/?{query}"))
        return TITLE_2020 in text, TITLE_2019 in text

    assert titles("") == (True, True)
    assert titles("year=2020") == (True, False)
    assert titles("year=2019") == (False, True)
    assert titles("year=2018") == (False, False)
    assert titles(f"area={land.id}") == (True, False)
    assert titles(f"area={civil.id}") == (False, True)
    assert titles(f"area={civil.id}&year=2020") == (False, False)
    # The choices offered are the years and areas that have something to show.
    text = client.get(f"/p/{ward.slug}/bien-ban/").get_data(as_text=True)
    assert '<option value="2020"' in text and '<option value="2019"' in text
    assert f'<option value="{land.id}"' in text and f'<option value="{civil.id}"' in text
    assert f'<option value="{ward.procedure_areas[1].id}"' not in text
    # Nonsense filters are ignored, never an error.
    for query in ("year=abc", "year=99999", "area=xyz", "area=-1", "year=0"):
        assert titles(query) == (True, True), query


def test_the_list_pages_and_a_huge_page_number_is_an_empty_page(client, ward, make_conference):
    for n in range(operations.ARCHIVE_PER_PAGE + 2):
        start = START_2020 - timedelta(days=30 * n)
        publish(
            make_conference(
                title=f"Hội nghị số {n:02d}",
                start_dt=start,
                planned_end_dt=start + timedelta(hours=2),
                status=ConferenceStatus.CLOSED,
            )
        )
    first = page_text(client.get(f"/p/{ward.slug}/bien-ban/"))
    assert "Hội nghị số 00" in first and "Hội nghị số 11" not in first
    assert "Page 1 of 2" in first
    second = page_text(client.get(f"/p/{ward.slug}/bien-ban/?page=2"))
    assert "Hội nghị số 11" in second and "Hội nghị số 00" not in second
    for page in ("99999999999999999999999", "10001", "-5", "x"):
        response = client.get(f"/p/{ward.slug}/bien-ban/?page={page}")
        assert response.status_code == 200, page
    huge = page_text(client.get(f"/p/{ward.slug}/bien-ban/?page=99999999999999999999999"))
    assert "There is nothing on this page." in huge
    assert "Hội nghị số" not in huge


def test_an_empty_archive_and_an_unknown_ward(client, ward):
    assert "No minutes have been published yet." in page_text(
        client.get(f"/p/{ward.slug}/bien-ban/")
    )
    assert client.get("/p/no-such-ward/bien-ban/").status_code == 404
    assert client.get("/p/no-such-ward/tim-kiem?q=thu").status_code == 404


# -- a document ------------------------------------------------------------------------------


def test_the_document_page_shows_the_frozen_html_and_its_version(client, ward, closed):
    c2020, _ = closed
    document = publish(c2020)
    tb = publish(c2020, DocumentType.NOTICE)
    response = client.get(f"/p/{ward.slug}/bien-ban/{document.public_code}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # The stored fragment exactly as it was frozen, not rendered again.
    assert document.html in body
    text = page_text(response)
    assert f"Minutes No. {document.number_label}" in text
    assert "Version 1 of 1, published on 05/07/2020." in text
    assert document.pdf_sha256 in body
    assert f'data-expected="{document.pdf_sha256}"' in body
    assert f"/p/{ward.slug}/bien-ban/{document.public_code}.pdf" in body
    assert f'/p/{ward.slug}/bien-ban/{tb.public_code}"' in body
    assert "replaced" not in text
    assert "Reason for the correction" not in text
    assert "/static/js/archive.js" in body and "/static/css/archive.css" in body


def test_a_superseded_version_says_so_and_links_the_newest(client, ward, closed):
    c2020, _ = closed
    first = publish(c2020)
    second = publish(c2020, body="Bản đính chính.", reason="Sửa số liệu hồ sơ trực tuyến.")
    old = client.get(f"/p/{ward.slug}/bien-ban/{first.public_code}")
    assert old.status_code == 200
    body = old.get_data(as_text=True)
    text = page_text(old)
    assert "This version has been replaced by a correction." in text
    banner = re.search(r'<div class="archive-superseded[^"]*" role="alert">(.*?)</div>', body, re.S)
    assert banner is not None
    assert f'href="/p/{ward.slug}/bien-ban/{second.public_code}"' in banner.group(1)
    assert "version 2" in banner.group(1)
    assert "Version 1 of 2" in text
    # Version 1 still shows version 1's frozen text and hash, not the correction's.
    assert first.html in body and "Bản đính chính." not in body
    assert first.pdf_sha256 in body

    new = client.get(f"/p/{ward.slug}/bien-ban/{second.public_code}")
    text = page_text(new)
    assert "This version has been replaced" not in text
    assert "Version 2 of 2" in text
    assert "Reason for the correction: Sửa số liệu hồ sơ trực tuyến." in text
    assert "version 1 (superseded)" in text
    assert f'href="/p/{ward.slug}/bien-ban/{first.public_code}"' in new.get_data(as_text=True)


def test_codes_are_found_only_under_their_own_ward(client, ward, other_ward, make_conference):
    own = publish(
        make_conference(start_dt=START_2020, status=ConferenceStatus.CLOSED, title=TITLE_2020)
    )
    foreign_conference = make_conference(
        ward=other_ward, start_dt=START_2020, status=ConferenceStatus.CLOSED, title="Phúc Lợi"
    )
    foreign = publish(foreign_conference)
    assert client.get(f"/p/{ward.slug}/bien-ban/{own.public_code}").status_code == 200
    assert client.get(f"/p/{other_ward.slug}/bien-ban/{foreign.public_code}").status_code == 200
    for path in (
        f"/p/{ward.slug}/bien-ban/{foreign.public_code}",
        f"/p/{ward.slug}/bien-ban/{foreign.public_code}.pdf",
        f"/p/{other_ward.slug}/bien-ban/{own.public_code}",
        f"/p/{ward.slug}/bien-ban/no-such-code",
        f"/p/{ward.slug}/bien-ban/no-such-code.pdf",
        f"/p/{ward.slug}/bien-ban/%3Cscript%3E",
        "/d/no-such-code",
    ):
        assert client.get(path).status_code == 404, path
    # The listing of one ward never shows another's documents.
    assert "Phúc Lợi" not in page_text(client.get(f"/p/{ward.slug}/bien-ban/"))
    # An inactive ward's archive is gone with it.
    other_ward.is_active = False
    db.session.commit()
    assert client.get(f"/p/{other_ward.slug}/bien-ban/{foreign.public_code}").status_code == 404
    assert client.get(f"/d/{foreign.public_code}").status_code == 404


def test_the_short_link_redirects_to_the_version_page(client, ward, closed):
    c2020, _ = closed
    first = publish(c2020)
    second = publish(c2020, reason="Đính chính.")
    for document in (first, second):
        response = client.get(f"/d/{document.public_code}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(
            f"/p/{ward.slug}/bien-ban/{document.public_code}"
        )


def test_a_cached_page_follows_every_change_it_shows(app, client, ward, closed):
    """The rendered page is kept per process, but never shown once what it shows has changed."""
    c2020, _ = closed
    first = publish(c2020)
    url = f"/p/{ward.slug}/bien-ban/{first.public_code}"
    assert "This version has been replaced" not in page_text(client.get(url))
    assert "Version 1 of 1" in page_text(client.get(url))  # served from the cache

    second = publish(c2020, reason="Đính chính.")
    text = page_text(client.get(url))
    assert "This version has been replaced by a correction." in text
    assert "Version 1 of 2" in text
    assert second.public_code in client.get(url).get_data(as_text=True)

    # Until both documents are published, the photos may still change.
    photo = photo_operations.add_photo(c2020, jpeg(), caption="Ảnh thứ nhất", uploaded_by=None)
    db.session.commit()
    assert "Ảnh thứ nhất" in page_text(client.get(url))
    photo_operations.change_caption(photo, "Ảnh đã sửa chú thích")
    db.session.commit()
    text = page_text(client.get(url))
    assert "Ảnh đã sửa chú thích" in text and "Ảnh thứ nhất" not in text
    photo_operations.delete_photo(photo)
    db.session.commit()
    assert "Ảnh đã sửa chú thích" not in page_text(client.get(url))

    notice = publish(c2020, DocumentType.NOTICE)
    assert f"Conclusion notice No. {notice.number_label}" in page_text(client.get(url))

    ward.name = "Thạch Bàn Mới"
    db.session.commit()
    assert "Published minutes of phường Thạch Bàn Mới" in page_text(client.get(url))
    c2020.title = "Tên hội nghị đã sửa"
    db.session.commit()
    assert "Tên hội nghị đã sửa" in page_text(client.get(url))

    # Each language has its own rendering: the body, and the whole page for visitors.
    cache = app.extensions["dialogue.archive.pages"]
    kept = len(cache)
    client.get("/locale", query_string={"locale": "vi", "next": url})
    assert client.get(url).status_code == 200
    assert len(cache) == kept + 2

    ward.is_active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_a_visitor_gets_the_whole_page_kept_for_every_visitor(
    app, client, ward, closed, make_user, login
):
    """Without an account nothing on the page is the visitor's: no token, no cookie, one page."""
    c2020, _ = closed
    url = f"/p/{ward.slug}/bien-ban/{publish(c2020).public_code}"
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data()
    assert (
        again.headers["Content-Type"] == first.headers["Content-Type"] == "text/html; charset=utf-8"
    )
    assert "Set-Cookie" not in again.headers
    body = again.get_data(as_text=True)
    assert "csrf_token" not in body
    # The language switch is a link back to this very page.
    assert f'href="/locale?locale=vi&amp;next={url}"' in body

    # A message waiting for one visitor is shown to that visitor, and to nobody else.
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Cảm ơn bạn đã gửi câu hỏi.")]
    assert "Cảm ơn bạn đã gửi câu hỏi." in page_text(client.get(url))
    assert "Cảm ơn bạn đã gửi câu hỏi." not in page_text(client.get(url))
    assert "Cảm ơn bạn đã gửi câu hỏi." not in page_text(app.test_client().get(url))

    # Staff see their own navigation; the visitors' page never carries it.
    login(make_user("organiser"))
    assert 'class="site-nav"' in client.get(url).get_data(as_text=True)
    assert 'class="site-nav"' not in app.test_client().get(url).get_data(as_text=True)

    # Anything in the query string is rendered for that request alone, escaped.
    odd = app.test_client().get(url + '?x="><script>alert(1)</script>')
    assert odd.status_code == 200
    assert "<script>alert(1)" not in odd.get_data(as_text=True)
    assert 'class="site-nav"' not in odd.get_data(as_text=True)


def test_the_page_cache_keeps_to_its_budget():
    from markupsafe import Markup

    from dialogue.archive.pagecache import PageCache, PdfCache, RenderedPage

    cache = PageCache(budget=100)
    page = RenderedPage(title="t", body=Markup("x" * 39))
    cache.put(("a", "vi"), (1,), page)
    cache.put(("b", "vi"), (1,), page)
    assert cache.get(("a", "vi"), (1,)) is page
    assert cache.get(("a", "vi"), (2,)) is None  # another stamp: rendered again
    cache.put(("c", "vi"), (1,), page)  # over budget: the least recently used goes
    assert cache.get(("b", "vi"), (1,)) is None
    assert cache.get(("a", "vi"), (1,)) is page and cache.get(("c", "vi"), (1,)) is page
    cache.put(("big", "vi"), (1,), RenderedPage(title="", body=Markup("x" * 101)))
    assert cache.get(("big", "vi"), (1,)) is None
    assert len(cache) == 2
    # A whole page is kept as the bytes sent, and counted by its bytes.
    cache.put(("whole", "a", "vi"), (1,), "đ".encode() * 40)  # 80 bytes: both others go
    assert cache.get(("whole", "a", "vi"), (1,)) == "đ".encode() * 40
    assert len(cache) == 1

    pdfs = PdfCache(budget=100)
    pdfs.put("a", b"x" * 60)
    pdfs.put("b", b"y" * 30)
    assert pdfs.get("a") == b"x" * 60
    pdfs.put("c", b"z" * 30)  # over budget: the least recently used goes
    assert pdfs.get("b") is None and pdfs.get("a") and pdfs.get("c")
    pdfs.put("huge", b"h" * 101)
    assert pdfs.get("huge") is None and len(pdfs) == 2


# -- the PDF ---------------------------------------------------------------------------------


def test_the_pdf_is_served_as_stored_with_its_hash_as_etag(app, client, ward, closed):
    c2020, _ = closed
    document = publish(c2020)
    stored = db.session.scalar(
        sa.select(PublishedDocument.pdf).where(PublishedDocument.id == document.id)
    )
    url = f"/p/{ward.slug}/bien-ban/{document.public_code}.pdf"
    response = client.get(url)
    assert response.status_code == 200
    assert response.data == stored
    assert response.data.startswith(b"%PDF-")
    assert hashlib.sha256(response.data).hexdigest() == document.pdf_sha256
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["ETag"] == f'"{document.pdf_sha256}"'
    cache = response.headers["Cache-Control"]
    assert "public" in cache and "immutable" in cache
    assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 30 * 24 * 3600
    assert response.headers["Content-Disposition"] == (
        'inline; filename="bien-ban-01-BB-UBND-2020.pdf"'
    )
    assert response.headers["Content-Length"] == str(len(stored))

    again = client.get(url, headers={"If-None-Match": f'"{document.pdf_sha256}"'})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == f'"{document.pdf_sha256}"'
    stale = client.get(url, headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and stale.data == stored

    # A PDF viewer asking for a piece of the file gets that piece.
    part = client.get(url, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.data == stored[:100]
    # The bytes are kept by their hash in this process, and served the same from there.
    assert app.extensions["dialogue.archive.pdfs"].get(document.pdf_sha256) == stored
    assert client.get(url).data == stored


def test_a_correction_and_a_notice_have_their_own_file_names(client, ward, closed):
    c2020, _ = closed
    publish(c2020)
    second = publish(c2020, reason="Đính chính.")
    notice = publish(c2020, DocumentType.NOTICE)
    response = client.get(f"/p/{ward.slug}/bien-ban/{second.public_code}.pdf")
    assert 'filename="bien-ban-01-BB-UBND-2020-v2.pdf"' in response.headers["Content-Disposition"]
    response = client.get(f"/p/{ward.slug}/bien-ban/{notice.public_code}.pdf")
    assert 'filename="thong-bao-01-TB-UBND-2020.pdf"' in response.headers["Content-Disposition"]
    assert operations.pdf_filename(DocumentType.MINUTES, "05/BB-UBND-Đ", 2021, 1) == (
        "bien-ban-05-BB-UBND-D-2021.pdf"
    )


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def heard(ward, closed):
    """The 2020 conference, published, with turns in two areas; the 2019 one left unpublished."""
    c2020, c2019 = closed
    group = ResidentialGroup(ward=ward, number=9, name="Tổ dân phố số 9")
    unit = Unit(ward=ward, name="Phòng Kinh tế - Hạ tầng và Đô thị")
    db.session.add_all([group, unit])
    civil = ward.procedure_areas[0]
    land = ward.procedure_areas[5]
    turns = {
        "procedure": add_turn(
            c2020,
            "Đề nghị đơn giản hóa thủ tục đăng ký khai sinh cho trẻ em ở khu Đức Thắng.",
            position=1,
            area=civil,
            speaker_name=RESIDENT,
            speaker_group=group,
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Ông Nguyễn Đức Minh - Chủ tịch UBND phường",
            answer="Phường đã rút ngắn thời gian giải quyết thủ tục xuống còn 1 ngày.",
        ),
        "referred": add_turn(
            c2020,
            "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất chậm.",
            position=2,
            area=land,
            speaker_organisation="Công ty TNHH Đức Thành",
            outcome=TurnOutcome.REFERRED,
            referral_unit=unit,
            referral_due_date=START_2020.date() + timedelta(days=10),
        ),
        "xss": add_turn(
            c2020,
            f"Thủ tục nào cho {XSS}?",
            position=3,
            area=civil,
            speaker_name=XSS,
            speaker_group=group,
            outcome=TurnOutcome.ANSWERED,
            answerer_name="Bà Lê Thị Hoa - Phó Chủ tịch",
            answer=f"Trả lời về thủ tục: {XSS}",
        ),
        "withdrawn": add_turn(
            c2020,
            "Thủ tục rút lại không còn hiệu lực.",
            position=4,
            withdrawn_dt=START_2020 + timedelta(hours=1),
        ),
        "unpublished": add_turn(c2019, "Thủ tục của hội nghị chưa công bố.", position=1),
    }
    publish(c2020)
    return c2020, turns


def search(client, ward, query: str, **params):
    return client.get(f"/p/{ward.slug}/tim-kiem", query_string={"q": query, **params})


def test_a_search_asked_again_is_kept_until_the_ward_changes(client, ward, heard):
    c2020, turns = heard
    first = search(client, ward, "thu tuc")
    assert search(client, ward, "thu tuc").get_data() == first.get_data()
    assert "Set-Cookie" not in first.headers
    assert "Turns found: 2" in page_text(first)
    # A turn corrected after publication: the next visitor's search shows the new words.
    turns["xss"].answer = "Trả lời bổ sung về thủ tục chứng thực."
    db.session.commit()
    assert "chứng thực" in page_text(search(client, ward, "thu tuc"))
    # Another word, another page.
    assert "Turns found: 2" not in page_text(search(client, ward, "chung thuc"))


def test_search_ignores_diacritics_and_marks_the_original_letters(client, ward, heard):
    response = search(client, ward, "thu tuc")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<mark>thủ</mark> <mark>tục</mark>" in body
    # Capitals keep their case inside the mark.
    assert "<mark>Thủ</mark> <mark>tục</mark>" in body
    assert "Turns found: 2" in page_text(response)
    assert "rút lại" not in body
    assert "chưa công bố" not in body

    response = search(client, ward, "duc")
    body = response.get_data(as_text=True)
    assert "<mark>Đức</mark>" in body
    assert "khu <mark>Đức</mark> Thắng" in body
    # The company speaks as its representative; the official who answered is named.
    assert "Ông Nguyễn Đức Minh" in body
    assert "Đại diện Công ty TNHH <mark>Đức</mark> Thành" in body
    assert "Turns found: 2" in page_text(response)

    # Diacritics typed are folded too; đ and d are the same letter.
    body = search(client, ward, "ĐẤT").get_data(as_text=True)
    assert "<mark>đất</mark>" in body
    assert "Responsible unit: Phòng Kinh tế - Hạ tầng và Đô thị" in page_text(
        search(client, ward, "dat")
    )


def test_search_matches_words_from_their_start_and_the_procedure_area(client, ward, heard):
    civil = ward.procedure_areas[0]
    # The area's name counts: its turns are found by it, though their text never says it.
    area_words = " ".join(civil.name_vi.split()[:2])
    text = page_text(search(client, ward, area_words))
    assert "Turns found: 2" in text
    # "hu" sits inside "thủ" but begins no word: nothing matches inside a word.
    body = search(client, ward, "hu tuc").get_data(as_text=True)
    assert "<mark>" not in body
    assert "Turns found: 0" in page_text(search(client, ward, "hu tuc"))


def test_search_shows_the_conference_area_and_links_the_minutes(client, ward, heard):
    c2020, turns = heard
    bb = db.session.scalar(sa.select(PublishedDocument).filter_by(conference_id=c2020.id))
    body = search(client, ward, "khai sinh").get_data(as_text=True)
    text = page_text(search(client, ward, "khai sinh"))
    assert TITLE_2020 in text
    assert f'href="/p/{ward.slug}/bien-ban/{bb.public_code}"' in body
    assert ward.procedure_areas[0].name_vi in text
    assert "Công dân tổ dân phố số 9" in text


def test_search_never_shows_or_matches_a_hidden_speaker_name(client, ward, heard):
    body = search(client, ward, "thu tuc").get_data(as_text=True)
    assert RESIDENT not in body
    assert "Riêng Tư" not in html.unescape(body)
    # The stored search text holds the name; the search must not find a turn by it.
    text = page_text(search(client, ward, "rieng tu"))
    assert "Turns found: 0" in text
    assert "No published question or answer holds these words." in text

    ward.names_speakers_in_documents = True
    db.session.commit()
    text = page_text(search(client, ward, "rieng tu"))
    assert "Turns found: 1" in text
    assert "Phạm Thị Riêng Tư" in text
    assert "<mark>Riêng</mark> <mark>Tư</mark>" in search(client, ward, "rieng tu").get_data(
        as_text=True
    )


def test_markup_in_turns_and_in_the_query_is_escaped(client, ward, heard):
    ward.names_speakers_in_documents = True
    db.session.commit()
    response = search(client, ward, "thu tuc")
    body = response.get_data(as_text=True)
    assert "<script>" not in body
    assert "<img src=x" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "Trả lời về <mark>thủ</mark> <mark>tục</mark>: &lt;script&gt;" in body

    # A query holding markup is shown escaped, and its words matched as text.
    response = search(client, ward, '<script>alert("x")</script>')
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<script>alert("x")</script>' not in body
    # It is found as text in the turn that holds it, and marked there, escaped.
    assert "Turns found: 1" in page_text(response)
    assert "<mark>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</mark>" in body
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in body

    response = search(client, ward, '"><b>thu</b>')
    assert "<b>thu</b>" not in response.get_data(as_text=True)


def test_empty_short_and_paged_queries(client, ward, heard):
    assert "Type a word or two" in page_text(search(client, ward, ""))
    assert "Type a word or two" in page_text(client.get(f"/p/{ward.slug}/tim-kiem"))
    for query in ("a", " đ ", "."):
        text = page_text(search(client, ward, query))
        assert "Type at least two letters to search." in text, query
        assert "Turns found" not in text
    response = search(client, ward, "thu tuc", page="99999999999999999999999")
    assert response.status_code == 200
    assert "There is nothing on this page." in page_text(response)
    response = search(client, ward, "thu tuc " * 100)
    assert response.status_code == 200


def test_search_pages(client, ward, closed):
    c2020, _ = closed
    for n in range(operations.SEARCH_PER_PAGE + 3):
        add_turn(c2020, f"Câu hỏi về thủ tục số {n:02d}", position=n + 1)
    publish(c2020)
    first = page_text(search(client, ward, "thu tuc"))
    assert f"Turns found: {operations.SEARCH_PER_PAGE + 3}" in first
    assert "thủ tục số 00" in first and "thủ tục số 22" not in first
    assert "Page 1 of 2" in first
    second = page_text(search(client, ward, "thu tuc", page=2))
    assert "thủ tục số 22" in second and "thủ tục số 00" not in second


# -- highlighting, unit by unit --------------------------------------------------------------


def test_match_ranges_map_folded_positions_back_to_the_original():
    words = operations.query_words("thu tuc")
    text = "Thủ tục hành chính, THỦ TỤC"
    assert str(operations.highlight(text, words)) == (
        "<mark>Thủ</mark> <mark>tục</mark> hành chính, <mark>THỦ</mark> <mark>TỤC</mark>"
    )
    # Decomposed text (a base letter and its combining marks) keeps its marks inside the mark.
    decomposed = "Thu\u0309 tu\u0323c"
    marked = str(operations.highlight(decomposed, words))
    assert marked == "<mark>Thu\u0309</mark> <mark>tu\u0323c</mark>"
    assert str(operations.highlight("Ông Đức, bà Dung", ["duc"])) == (
        "Ông <mark>Đức</mark>, bà Dung"
    )
    # Overlapping words make one mark.
    assert str(operations.highlight("đăng ký", operations.query_words("dang an"))) == (
        "<mark>đăng</mark> ký"
    )
    assert str(operations.highlight("a < b & c", ["b"])) == "a &lt; <mark>b</mark> &amp; c"
    assert str(operations.highlight("", ["b"])) == ""
    # The per-character fold agrees with the fold used to store and search.
    sample = "Đặng Thị Ánh Tuyết — hồ sơ ĐẤT ĐAI ở Tổ 9"
    folded, origin = operations._folded_with_origin(sample)
    assert folded == fold(sample)
    assert len(origin) == len(folded)


def test_excerpts_keep_the_match_and_mark_it():
    words = operations.query_words("khai sinh")
    text = ("Mở đầu dài " * 60) + "về thủ tục khai sinh cho trẻ em" + (" và tiếp theo" * 60)
    excerpt = str(operations.excerpt(text, words, width=120))
    assert "<mark>khai</mark> <mark>sinh</mark>" in excerpt
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert len(html.unescape(re.sub(r"</?mark>", "", excerpt))) <= 122
    short = str(operations.excerpt("Thủ tục khai sinh", words))
    assert short == "Thủ tục <mark>khai</mark> <mark>sinh</mark>"


# -- photos and links ------------------------------------------------------------------------


def test_photos_of_a_published_conference_are_shown_with_their_captions(
    client, ward, other_ward, closed, make_conference
):
    c2020, c2019 = closed
    caption = 'Toàn cảnh hội nghị <b>"đối thoại"</b>'
    shown = photo_operations.add_photo(c2020, jpeg(), caption=caption, uploaded_by=None)
    hidden = photo_operations.add_photo(c2019, jpeg(), caption="Chưa công bố", uploaded_by=None)
    db.session.commit()
    document = publish(c2020)
    response = client.get(f"/p/{ward.slug}/bien-ban/{document.public_code}")
    body = response.get_data(as_text=True)
    assert "Toàn cảnh hội nghị &lt;b&gt;&#34;đối thoại&#34;&lt;/b&gt;" in body
    assert f'/p/{ward.slug}/anh/{shown.id}/nho"' in body
    assert f'/p/{ward.slug}/anh/{shown.id}"' in body

    image = client.get(f"/p/{ward.slug}/anh/{shown.id}")
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/jpeg"
    assert "public" in image.headers["Cache-Control"]
    assert Image.open(io.BytesIO(image.data)).format == "JPEG"
    thumb = client.get(f"/p/{ward.slug}/anh/{shown.id}/nho")
    assert thumb.status_code == 200
    cached = client.get(
        f"/p/{ward.slug}/anh/{shown.id}", headers={"If-None-Match": image.headers["ETag"]}
    )
    assert cached.status_code == 304
    # Photos of an unpublished conference, or asked for under another ward, stay private.
    assert client.get(f"/p/{ward.slug}/anh/{hidden.id}").status_code == 404
    assert client.get(f"/p/{ward.slug}/anh/{hidden.id}/nho").status_code == 404
    assert client.get(f"/p/{other_ward.slug}/anh/{shown.id}").status_code == 404
    assert client.get(f"/p/{ward.slug}/anh/999999").status_code == 404


def test_the_wards_page_and_the_notice_link_the_published_documents(client, ward, closed):
    c2020, _ = closed
    notice_url = f"/p/{ward.slug}/hoi-nghi/{c2020.id}"
    assert "/bien-ban/" not in client.get(notice_url).get_data(as_text=True)
    document = publish(c2020)
    notice = publish(c2020, DocumentType.NOTICE)
    body = client.get(notice_url).get_data(as_text=True)
    assert f'href="/p/{ward.slug}/bien-ban/{document.public_code}"' in body
    assert f'href="/p/{ward.slug}/bien-ban/{notice.public_code}"' in body
    body = client.get(f"/p/{ward.slug}/").get_data(as_text=True)
    assert f'href="/p/{ward.slug}/bien-ban/"' in body
    assert f'href="/p/{ward.slug}/tim-kiem"' in body


def test_public_pages_never_show_resident_names(client, ward, heard):
    c2020, turns = heard
    bb = db.session.scalar(sa.select(PublishedDocument).filter_by(conference_id=c2020.id))
    for path in (
        f"/p/{ward.slug}/bien-ban/",
        f"/p/{ward.slug}/bien-ban/{bb.public_code}",
        f"/p/{ward.slug}/tim-kiem?q=thu+tuc",
        f"/p/{ward.slug}/tim-kiem?q=khai+sinh",
    ):
        assert RESIDENT not in page_text(client.get(path)), path
