"""The read-only public API, version 1: its routes, and its OpenAPI document built from them.

Each route declares its query model and its answers to spectree, which validates the query
before the view runs and writes the OpenAPI 3.1 document from the same declarations: the
document cannot drift from the code. The reference page shows that document with Swagger UI,
served from ``static/vendor`` like every other file of the application.
"""

from __future__ import annotations

import copy
import json
from functools import cache

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from spectree import Response as Answers
from spectree import SpecTree

from dialogue.api import http, opendata, schemas
from dialogue.api import operations as read
from dialogue.api.kept import kept, ward_stamp, wards_stamp
from dialogue.auth.access import public
from dialogue.core.ids import MAX_ID
from dialogue.documents.csv import write_csv
from dialogue.documents.downloads import content_disposition
from dialogue.extensions import limiter
from dialogue.followup.listing import ward_today

bp = Blueprint("api", __name__, url_prefix="/api/v1")

spec = SpecTree(
    "flask",
    mode="strict",
    title="Dialogue — open data API",
    version="1.0.0",
    annotations=False,
    page_templates={},
    validation_error_status=400,
    validation_error_model=schemas.Problem,
    before=http.refuse_invalid,
    # Plain names: every model lives in dialogue.api.schemas, so no two share a name.
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
)
DESCRIPTION = (
    "Read-only data of the public dialogue conferences of wards and communes on "
    "administrative-procedure reform: wards, conferences, their published documents with "
    "SHA-256 hashes, speaking turns as residents see them, referred questions and their "
    "answers, figures per ward and period, and yearly open-data files. No key is needed; "
    "nothing personal is published beyond what the public pages show."
)
# What each problem means, for the reference page (in the reader's language).
PROBLEMS = {
    400: _l(
        "The query string is not valid: an unknown parameter, a value out of range, dates "
        "in the wrong order, or a cursor not made for this list."
    ),
    404: _l("No such ward, public conference, referral or year at this address."),
    405: _l("The API only reads: GET, HEAD and OPTIONS."),
    429: _l("Too many requests from one address: wait as long as Retry-After says."),
    500: _l("The server failed; nothing was changed. Try again."),
}
ERRORS = dict(HTTP_400=schemas.Problem, HTTP_404=schemas.Problem, HTTP_429=schemas.Problem)


def _answers(model) -> Answers:
    return Answers(HTTP_200=model, HTTP_304=None, **ERRORS)


@bp.after_request
def _cors(response: Response) -> Response:
    if "Access-Control-Allow-Origin" in response.headers:
        return response  # set already, with Vary (http.kept_headers, http.conditional)
    response.headers.update(http.CORS_HEADERS)
    response.vary.add("Accept-Encoding")
    return response


limiter.limit(lambda: current_app.config["RATELIMIT_API"])(bp)


def _list(endpoint: str, page_model, read_page, **values) -> Response:
    """One page of a list: its cursor read, its items by ``read_page(query, after)``, the next
    page's cursor and address made, the current query kept."""
    query = request.context.query
    items, next_key = read_page(query, http.read_cursor(query.cursor, endpoint))
    cursor, next_url = _next_url(endpoint, next_key, **values)
    page = page_model(items=items, next_cursor=cursor, next=next_url)
    return http.json_response(page, next_url=next_url)


def _next_url(endpoint: str, next_key, **values) -> tuple[str | None, str | None]:
    """The cursor and address of the next page, the current query kept."""
    if next_key is None:
        return None, None
    cursor = http.make_cursor(endpoint, next_key)
    args = {**request.args.to_dict(), **values, "cursor": cursor}
    return cursor, url_for(endpoint, _external=True, **args)


def by_ward(ward_slug: str, **_other) -> tuple | None:
    """The stamp of the ward named in the address; None (nothing kept) for no such name."""
    return ward_stamp(slug=ward_slug) if read.SLUG.fullmatch(ward_slug) else None


def by_conference(conference_id: int) -> tuple | None:
    return ward_stamp(conference_id=conference_id)


def never(**_view_args) -> None:
    """The figures read more than the stamp covers (attendance, surveys): made every time."""
    return None


# -- the routes ---------------------------------------------------------------------------------


@bp.route("/wards")
@public
@kept(wards_stamp)
@spec.validate(query=schemas.WardQuery, resp=_answers(schemas.WardPage), tags=["wards"])
def wards():
    """The active wards and communes, by name."""

    def page(query, after):
        rows, next_key = read.ward_page(query, after)
        return [read.ward_out(ward) for ward in rows], next_key

    return _list("api.wards", schemas.WardPage, page)


@bp.route("/wards/<ward_slug>")
@public
@kept(by_ward)
@spec.validate(resp=_answers(schemas.Ward), tags=["wards"])
def ward(ward_slug: str):
    """One ward."""
    return http.json_response(read.ward_out(read.ward_or_404(ward_slug)))


@bp.route("/wards/<ward_slug>/conferences")
@public
@kept(by_ward)
@spec.validate(
    query=schemas.ConferenceQuery, resp=_answers(schemas.ConferencePage), tags=["conferences"]
)
def conferences(ward_slug: str):
    """The ward's public conferences, the latest first, with their published documents."""
    ward = read.ward_or_404(ward_slug)

    def page(query, after):
        rows, next_key = read.conference_page(ward, query, after)
        return read.conferences_out(ward, rows), next_key

    return _list("api.conferences", schemas.ConferencePage, page, ward_slug=ward_slug)


@bp.route(f"/conferences/<int(max={MAX_ID}):conference_id>")
@public
@kept(by_conference)
@spec.validate(resp=_answers(schemas.Conference), tags=["conferences"])
def conference(conference_id: int):
    """One public conference with every published version of its documents."""
    found = read.conference_or_404(conference_id)
    return http.json_response(read.conferences_out(found.ward, [found])[0])


@bp.route(f"/conferences/<int(max={MAX_ID}):conference_id>/turns")
@public
@kept(by_conference)
@spec.validate(query=schemas.TurnQuery, resp=_answers(schemas.TurnPage), tags=["turns"])
def turns(conference_id: int):
    """The conference's speaking turns as residents see them, numbered as in the minutes."""
    found = read.conference_or_404(conference_id)
    return _list(
        "api.turns",
        schemas.TurnPage,
        lambda query, after: read.turn_page(found, query, after),
        conference_id=conference_id,
    )


@bp.route("/wards/<ward_slug>/referrals")
@public
@kept(by_ward)
@spec.validate(query=schemas.ReferralQuery, resp=_answers(schemas.ReferralPage), tags=["referrals"])
def referrals(ward_slug: str):
    """Questions referred for a written answer: status, due date and the published answers."""
    ward = read.ward_or_404(ward_slug)
    return _list(
        "api.referrals",
        schemas.ReferralPage,
        lambda query, after: read.referral_page(ward, query, after),
        ward_slug=ward_slug,
    )


@bp.route(f"/wards/<ward_slug>/referrals/<int(max={MAX_ID}):referral_id>")
@public
@kept(by_ward)
@spec.validate(resp=_answers(schemas.Referral), tags=["referrals"])
def referral(ward_slug: str, referral_id: int):
    """One referred question."""
    ward = read.ward_or_404(ward_slug)
    found = read.referral_or_404(ward, referral_id)
    return http.json_response(found)


@bp.route("/wards/<ward_slug>/figures")
@public
@kept(never)
@spec.validate(query=schemas.FiguresQuery, resp=_answers(schemas.Figures), tags=["figures"])
def figures(ward_slug: str):
    """The ward's figures for a year, a half-year or custom dates (as its statistics page)."""
    ward = read.ward_or_404(ward_slug)
    period = read.period_of(request.context.query, ward_today(ward))
    return http.json_response(read.figures_out(ward, period))


@bp.route("/wards/<ward_slug>/datasets")
@public
@kept(by_ward)
@spec.validate(resp=_answers(schemas.DatasetList), tags=["open data"])
def datasets(ward_slug: str):
    """The ward's yearly open-data files and their licence."""
    ward = read.ward_or_404(ward_slug)
    items = []
    for found in opendata.years(ward):

        def address(fmt: str, year=found.year) -> str:
            return url_for(f"api.dataset_{fmt}", ward_slug=ward.slug, year=year, _external=True)

        items.append(
            schemas.Dataset(
                year=found.year,
                conferences=found.conferences,
                turns=found.turns,
                json_url=address("json"),
                csv=address("csv"),
            )
        )
    return http.json_response(
        schemas.DatasetList(ward=ward.slug, licence=opendata.licence(), items=items)
    )


YEAR = "<int(min=2000,max=2100):year>"


def _year_rows(ward_slug: str, year: int):
    ward = read.ward_or_404(ward_slug)
    rows = opendata.turns_of_year(ward, year)
    if rows is None:
        raise http.ProblemError(404, "The ward held no public conference that year.")
    return ward, rows


def _as_file(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Link"] = f'<{opendata.licence().url}>; rel="license"'
    return response


@bp.route(f"/wards/<ward_slug>/datasets/{YEAR}.json")
@public
@kept(by_ward)
@spec.validate(resp=_answers(schemas.DatasetBody), tags=["open data"])
def dataset_json(ward_slug: str, year: int):
    """Every public turn of the ward's year, with the licence, as one JSON file."""
    ward, rows = _year_rows(ward_slug, year)
    body = schemas.DatasetBody(ward=ward.slug, year=year, licence=opendata.licence(), turns=rows)
    response = Response(body.model_dump_json(), mimetype="application/json")
    return _as_file(response, f"{ward.slug}-{year}.json")


@bp.route(f"/wards/<ward_slug>/datasets/{YEAR}.csv")
@public
@kept(by_ward)
@spec.validate(resp=Answers(HTTP_200=None, HTTP_304=None, **ERRORS), tags=["open data"])
def dataset_csv(ward_slug: str, year: int):
    """The same as CSV (UTF-8 with a BOM, comma-separated, one turn a row, the JSON's names)."""
    ward, rows = _year_rows(ward_slug, year)
    data = write_csv(opendata.as_rows(ward, year, rows))
    response = Response(data, mimetype="text/csv")
    return _as_file(response, f"{ward.slug}-{year}.csv")


# -- the document and its reference page -----------------------------------------------------------


@cache
def _document() -> str:
    """The OpenAPI document as spectree writes it, with what HTTP says of our errors added."""
    document = copy.deepcopy(spec.spec)
    document["info"]["description"] = DESCRIPTION
    document["info"]["license"] = {"name": "API: the data's licence applies to what it returns"}
    for route, path in document["paths"].items():
        for operation in path.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content")
                if content and status.startswith(("4", "5")) and "application/json" in content:
                    answer["content"] = {http.PROBLEM_TYPE: content["application/json"]}
            if route.endswith(".csv"):
                operation["responses"]["200"]["content"] = {
                    "text/csv": {"schema": {"type": "string"}}
                }
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document of this API."""
    return http.conditional(Response(_document(), mimetype="application/json"))


_PER = {
    "second": _l("%(count)s a second"),
    "minute": _l("%(count)s a minute"),
    "hour": _l("%(count)s an hour"),
    "day": _l("%(count)s a day"),
}


def _limit_in_words(configured: str) -> str:
    """ "600 per minute;20000 per hour" as the reader says it."""
    from limits import parse_many

    parts = []
    for item in parse_many(configured):
        unit = _PER.get(item.GRANULARITY.name)
        count = format_decimal(item.amount)
        parts.append(str(unit % {"count": count}) if unit else str(item))
    return "; ".join(parts)


@bp.route("/docs")
@public
def docs():
    """The API's reference page: how to use it, and every route tried in place."""
    return render_template(
        "api/docs.html",
        document_url=url_for("api.openapi"),
        licence=opendata.licence(),
        limit=_limit_in_words(current_app.config["RATELIMIT_API"]),
        max_limit=schemas.MAX_LIMIT,
        problems=[(status, http.TITLES[status], text) for status, text in PROBLEMS.items()],
    )
