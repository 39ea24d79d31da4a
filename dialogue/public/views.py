"""The residents' pages of a ward: its conferences, a conference's notice, its PDF and calendar
file, and the follow-up of the questions referred for a written answer.

Nothing here needs an account, so nothing here shows personal data: people appear only by the
name and title under which they chair or report, never with a phone number or an e-mail.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, session, url_for
from flask_login import current_user

from dialogue.archive import pagecache
from dialogue.auth.access import public
from dialogue.conferences.calendar import CONTENT_TYPE, conference_ics
from dialogue.conferences.models import Conference, ConferenceStatus
from dialogue.core.dates import vn_date, vn_time
from dialogue.core.locale import current_locale
from dialogue.documents.downloads import as_immutable, content_disposition
from dialogue.documents.pdf import render_pdf
from dialogue.extensions import db, limiter
from dialogue.followup.listing import STATUS_FILTERS, followup_stamp, ward_today
from dialogue.public import operations, referrals
from dialogue.wards.models import Ward

bp = Blueprint("public", __name__, url_prefix="/p")

# Rendering a PDF costs far more than a page, and anyone may ask: keep one address from hogging it.
PDF_RATE_LIMIT = "20 per minute"


def _ward_or_404(ward_slug: str) -> Ward:
    ward = db.session.scalar(sa.select(Ward).where(Ward.slug == ward_slug, Ward.is_active))
    if ward is None:
        abort(404)
    return ward


def _public_conference_or_404(ward: Ward, conference_id: int) -> Conference:
    """Load a conference of ``ward`` that residents may see: announced or later, never a draft."""
    conference = db.session.get(Conference, conference_id)
    if conference is None or conference.ward_id != ward.id or not conference.is_public:
        abort(404)
    return conference


def when(conference: Conference) -> dict[str, str]:
    """The date and times as Vietnamese notices write them: "ngày 30 tháng 6 năm 2020"."""
    tz = conference.ward.timezone
    return {
        "date": vn_date(conference.start_dt, tz=tz),
        "time": vn_time(conference.start_dt, tz=tz),
        "end_time": vn_time(conference.planned_end_dt, tz=tz) if conference.planned_end_dt else "",
        "weekday": _WEEKDAYS[conference.start_local.weekday()],
    }


_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def _notice_url(conference: Conference, **kwargs) -> str:
    return url_for(
        "public.conference_notice",
        ward_slug=conference.ward.slug,
        conference_id=conference.id,
        **kwargs,
    )


@bp.route("/<ward_slug>/")
@public
def ward_index(ward_slug: str):
    ward = _ward_or_404(ward_slug)
    return render_template(
        "public/ward_index.html",
        ward=ward,
        upcoming=operations.coming_conferences(ward),
        past=operations.past_conferences(ward),
        when=when,
    )


@bp.route("/<ward_slug>/hoi-nghi/<int:conference_id>")
@public
def conference_notice(ward_slug: str, conference_id: int):
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    return render_template(
        "public/conference_notice.html",
        ward=ward,
        conference=conference,
        when=when(conference),
    )


@bp.route("/<ward_slug>/hoi-nghi/<int:conference_id>/thong-bao.pdf")
@public
@limiter.limit(PDF_RATE_LIMIT)
def conference_notice_pdf(ward_slug: str, conference_id: int):
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    if conference.status is ConferenceStatus.CANCELLED:
        abort(404)
    pdf = render_pdf(
        "public/notice_pdf.html",
        stylesheets=("css/document.css",),
        ward=ward,
        conference=conference,
        when=when(conference),
        # Left blank for the clerk: a page anyone may print must not take a number of the register.
        number="\u00a0" * 8 + f"/TB-{ward.issuer_code}",
        # The day it was announced; never the day someone happens to print it.
        place_date=vn_date(conference.announced_dt, place=ward.place_name, tz=ward.timezone)
        if conference.announced_dt
        else f"{ward.place_name}, ngày … tháng … năm …",
    )
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="thong-bao-hoi-nghi-{conference.id}.pdf"'
    )
    return response


@bp.route("/<ward_slug>/hoi-nghi/<int:conference_id>/lich.ics")
@public
def conference_calendar(ward_slug: str, conference_id: int):
    ward = _ward_or_404(ward_slug)
    conference = _public_conference_or_404(ward, conference_id)
    content = conference_ics(
        conference,
        uid_domain=f"{ward.slug}.{request.host.split(':')[0]}",
        notice_url=_notice_url(conference, _external=True),
    )
    response = Response(content, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="hoi-nghi-{conference.id}.ics"'
    return response


# -- the follow-up of referred questions ("Theo dõi trả lời kiến nghị") ----------------------


@bp.route("/<ward_slug>/kien-nghi/")
@public
def referral_index(ward_slug: str):
    stamp = followup_stamp(slug=ward_slug)
    if stamp is None:
        abort(404)
    # A visitor without an account and without a message waiting sees what every such visitor
    # sees at this address in their language: the page is kept, and served again as long as
    # nothing it shows has changed (the stamp, one query).
    shared = not current_user.is_authenticated and "_flashes" not in session
    key = (
        "referrals",
        ward_slug,
        current_locale(),
        tuple(sorted(request.args.items(multi=True))),
    )
    cache = pagecache.page_cache()
    if shared and (whole := cache.get(key, stamp)) is not None:
        return Response(whole, mimetype="text/html")
    ward = _ward_or_404(ward_slug)
    html = _referral_index_page(ward, ward_today(ward))
    if not shared:
        return html
    whole = html.encode()
    cache.put(key, stamp, whole)
    return Response(whole, mimetype="text/html")


def _referral_index_page(ward: Ward, today) -> str:
    options = referrals.filter_options(ward)
    filters = referrals.filters_from(request.args, options)
    return render_template(
        "public/referrals.html",
        ward=ward,
        options=options,
        filters=filters,
        counts=referrals.status_counts(ward, filters, today=today),
        page=referrals.referral_page(
            ward, filters, today=today, page=request.args.get("page", 1, type=int)
        ),
        statuses=STATUS_FILTERS,
        status_title=referrals.status_title,
        query_args=referrals.query_args,
    )


@bp.route("/<ward_slug>/kien-nghi/<int:referral_id>")
@public
def referral(ward_slug: str, referral_id: int):
    ward = _ward_or_404(ward_slug)
    found = referrals.find_referral(ward, referral_id, today=ward_today(ward))
    if found is None:
        abort(404)
    return render_template("public/referral.html", ward=ward, item=found)


@bp.route("/<ward_slug>/kien-nghi/<int:referral_id>/tra-loi-<int:version>.pdf")
@public
def referral_attachment(ward_slug: str, referral_id: int, version: int):
    """The signed reply letter of a published answer: its hash first, its bytes if needed."""
    ward = _ward_or_404(ward_slug)
    file = referrals.find_attachment(ward, referral_id, version)
    if file is None:
        abort(404)
    if request.if_none_match.contains(file.sha256):
        return _attachment_headers(Response(status=304), file)
    data = referrals.attachment_bytes(file)
    if data is None:
        abort(404)
    response = _attachment_headers(Response(data, mimetype="application/pdf"), file)
    return response.make_conditional(request, accept_ranges=True, complete_length=len(data))


def _attachment_headers(response: Response, file: referrals.AttachmentFile) -> Response:
    as_immutable(response, file.sha256)
    response.headers["Content-Disposition"] = content_disposition(file.filename)
    return response
