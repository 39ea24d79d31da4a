"""The public archive of a ward: published minutes and notices, their PDFs, photos, and search.

No page here needs an account, and none shows personal data: a document page shows the HTML
frozen at publication, exactly as published; search results name speakers as the published
minutes do (``Turn.document_speaker``). A published version never changes, so its PDF is served
with a long cache lifetime and its SHA-256 as ETag.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from dialogue.archive import operations, pagecache
from dialogue.auth.access import public
from dialogue.conferences.models import Conference
from dialogue.core.db import utcnow
from dialogue.core.locale import current_locale
from dialogue.documents.downloads import as_immutable
from dialogue.documents.models import DocumentType
from dialogue.extensions import limiter
from dialogue.feedback.rating_views import minutes_section
from dialogue.followup.listing import ward_today
from dialogue.ledger import operations as ledger
from dialogue.ledger.verify import Report, verify_ward
from dialogue.photos.views import serve_photo
from dialogue.public import referrals
from dialogue.public.views import _ward_or_404

bp = Blueprint("archive", __name__)
bp.record_once(lambda state: pagecache.init_app(state.app))

# A photo's bytes never change (a caption may, on the page): a day, then a 304 by ETag.
PHOTO_CACHE_CONTROL = "public, max-age=86400"
# Checking a ward's archive reads every PDF it published: an address may ask a few times a
# minute, and the result is kept a minute in each process.
VERIFY_RATE_LIMIT = "6 per minute"
VERIFY_KEEP_SECONDS = 60.0
VERIFIED_KEY = "dialogue.archive.verified"
# The years the list may be filtered by; any other is ignored.
YEAR_RANGE = range(1990, 2200)

DOCUMENT_KINDS = {
    DocumentType.MINUTES: _l("Minutes"),
    DocumentType.NOTICE: _l("Conclusion notice"),
}


@bp.app_template_filter("document_kind")
def document_kind(doc_type: DocumentType) -> str:
    """What residents call a document of this type: "Biên bản", "Thông báo kết luận"."""
    return str(DOCUMENT_KINDS.get(doc_type, doc_type.title))


@bp.app_template_global("published_documents")
def published_documents(conference: Conference):
    """The newest version of each published document of ``conference``, minutes first."""
    return operations.latest_documents(conference)


@bp.route("/p/<ward_slug>/bien-ban/")
@public
def index(ward_slug: str):
    return _kept_whole("archive", ward_slug, _render_index)


def _kept_whole(kind: str, ward_slug: str, render) -> Response | str:
    """Answer a page of the ward that shows only what raises the ward's version.

    As a document's page: a visitor without an account gets the page kept whole for the
    ward's stamp, the address (its query string: filters, search words, page number) and the
    language; anyone else gets it rendered.
    """
    stamp = operations.archive_stamp(ward_slug)
    if stamp is None:
        abort(404)
    whole_key = None
    if not current_user.is_authenticated and "_flashes" not in session:
        whole_key = (kind, ward_slug, request.query_string, current_locale())
        whole = pagecache.page_cache().get(whole_key, stamp)
        if whole is not None:
            return Response(whole, mimetype="text/html")
    html = render(ward_slug)
    if whole_key is None:
        return html
    whole = html.encode()
    pagecache.page_cache().put(whole_key, stamp, whole)
    return Response(whole, mimetype="text/html")


def _render_index(ward_slug: str) -> str:
    ward = _ward_or_404(ward_slug)
    year = request.args.get("year", type=int)
    if year not in YEAR_RANGE:
        year = None
    area_id = request.args.get("area", type=int)
    areas = operations.archive_areas(ward)
    if area_id not in {area.id for area in areas}:
        area_id = None
    page = operations.archive_page(
        ward, year=year, area_id=area_id, page=request.args.get("page", 1, type=int)
    )
    return render_template(
        "archive/index.html",
        ward=ward,
        head=ledger.chain_head(ward.id),
        page=page,
        years=operations.archive_years(ward),
        areas=areas,
        year=year,
        area_id=area_id,
        filtered=year is not None or area_id is not None,
    )


@bp.route("/p/<ward_slug>/bien-ban/<code>")
@public
def document(ward_slug: str, code: str):
    stamp = operations.page_stamp(ward_slug, code)
    if stamp is None:
        abort(404)
    cache = pagecache.page_cache()
    key = (code, current_locale())
    # A visitor without an account and without a message waiting sees exactly what every such
    # visitor sees in their language: the whole page is kept, under the same stamp as the body.
    whole_key = ("whole", ward_slug, *key) if _same_for_every_visitor() else None
    if whole_key is not None and (whole := cache.get(whole_key, stamp)) is not None:
        return Response(whole, mimetype="text/html")
    page = cache.get(key, stamp)
    if page is None:
        page = _render_document_page(ward_slug, code)
        cache.put(key, stamp, page)
    html = render_template("archive/document.html", page=page)
    if whole_key is None:
        return html
    whole = html.encode()
    cache.put(whole_key, stamp, whole)
    return Response(whole, mimetype="text/html")


def _same_for_every_visitor() -> bool:
    """Whether this request's page depends on nothing but its address, language and stamp."""
    return (
        not request.query_string and not current_user.is_authenticated and "_flashes" not in session
    )


def _render_document_page(ward_slug: str, code: str) -> pagecache.RenderedPage:
    found = operations.document_page(ward_slug, code)
    if found is None:
        abort(404)
    ward = found.conference.ward
    body = render_template(
        "archive/_document_body.html",
        ward=ward,
        conference=found.conference,
        document=found.document,
        group=found.group,
        others=found.others,
        newest=found.group.latest,
        superseded=found.superseded,
        photos=found.photos,
        followup=referrals.of_conference(found.conference, today=ward_today(ward)),
        followup_anchor=referrals.SECTION_ANCHOR,
        # Below the minutes (never inside them): each answer, to be rated; the form is the
        # same for every visitor, and the results are in the page's stamp.
        answer_ratings=minutes_section(found.conference)
        if found.document.doc_type is DocumentType.MINUTES and not found.superseded
        else None,
    )
    return pagecache.RenderedPage(
        title=f"{found.document.title} · {ward.display_name}", body=Markup(body)
    )


@bp.route("/p/<ward_slug>/bien-ban/<code>.pdf")
@public
def document_pdf(ward_slug: str, code: str):
    # The file's hash first, without its bytes: a browser that has it gets a 304, and the
    # bytes may already be here, found by that hash.
    file = operations.find_pdf(ward_slug, code)
    if file is None:
        abort(404)
    if request.if_none_match.contains(file.sha256):
        return _pdf_headers(Response(status=304), file)
    cache = pagecache.pdf_cache()
    data = cache.get(file.sha256)
    if data is None:
        data = operations.pdf_bytes(ward_slug, code)
        if data is None:
            abort(404)
        # Kept under its hash only if it is what the hash says (it always should be).
        if hashlib.sha256(data).hexdigest() == file.sha256:
            cache.put(file.sha256, data)
    response = _pdf_headers(Response(data, mimetype="application/pdf"), file)
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def _pdf_headers(response: Response, file: operations.PdfFile) -> Response:
    as_immutable(response, file.sha256)
    response.headers["Content-Disposition"] = f'inline; filename="{file.filename}"'
    return response


@bp.route("/p/<ward_slug>/so-cong-bo.jsonl")
@public
def ledger_log(ward_slug: str):
    """The ward's whole publication log, one entry a line: keep a copy to check against later."""
    ward = _ward_or_404(ward_slug)
    head = ledger.chain_head(ward.id)
    response = Response(
        "".join(ledger.log_lines(ward)), content_type="application/jsonl; charset=utf-8"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="so-cong-bo-{ward.slug}.jsonl"'
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(f"{head.count}-{head.head_hash}")
    return response.make_conditional(request)


@bp.route("/p/<ward_slug>/so-cong-bo/kiem-tra")
@public
@limiter.limit(VERIFY_RATE_LIMIT)
def ledger_verify(ward_slug: str):
    """Recompute every published version's hash and the chain, and say what was found."""
    ward = _ward_or_404(ward_slug)
    verified: dict[int, tuple[float, datetime, Report]] = current_app.extensions.setdefault(
        VERIFIED_KEY, {}
    )
    kept = verified.get(ward.id)
    if kept is None or time.monotonic() - kept[0] > VERIFY_KEEP_SECONDS:
        kept = (time.monotonic(), utcnow(), verify_ward(ward))
        verified[ward.id] = kept
    _, checked_dt, report = kept
    return render_template(
        "archive/verify.html",
        ward=ward,
        report=report,
        checked_dt=checked_dt,
        head=ledger.chain_head(ward.id),
    )


@bp.route("/d/<code>")
@public
def short_link(code: str):
    ward_slug = operations.find_code_ward(code)
    if ward_slug is None:
        abort(404)
    return redirect(url_for(".document", ward_slug=ward_slug, code=code), 302)


@bp.route("/p/<ward_slug>/tim-kiem")
@public
def search(ward_slug: str):
    # The results show the ward's published turns, areas, groups and documents: each raises
    # the ward's version, so a search asked again (a popular word) is answered from memory.
    return _kept_whole("search", ward_slug, _render_search)


def _render_search(ward_slug: str) -> str:
    ward = _ward_or_404(ward_slug)
    query = request.args.get("q", "").strip()[: operations.QUERY_MAX_CHARS]
    results = message = None
    if not query:
        message = _("Type a word or two from a question or an answer, with or without accents.")
    elif operations.query_problem(query):
        message = _("Type at least two letters to search.")
    else:
        results = operations.search_turns(ward, query, page=request.args.get("page", 1, type=int))
    return render_template(
        "archive/search.html", ward=ward, query=query, results=results, message=message
    )


def _public_photo(ward_slug: str, photo_id: int, *, thumbnail: bool):
    ward = _ward_or_404(ward_slug)
    photo = operations.find_public_photo(ward, photo_id)
    if photo is None:
        abort(404)
    return serve_photo(photo, thumbnail=thumbnail, cache_control=PHOTO_CACHE_CONTROL)


@bp.route("/p/<ward_slug>/anh/<int:photo_id>")
@public
def photo(ward_slug: str, photo_id: int):
    return _public_photo(ward_slug, photo_id, thumbnail=False)


@bp.route("/p/<ward_slug>/anh/<int:photo_id>/nho")
@public
def photo_thumbnail(ward_slug: str, photo_id: int):
    return _public_photo(ward_slug, photo_id, thumbnail=True)
