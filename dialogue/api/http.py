"""The API's side of HTTP: problem details, opaque cursors, conditional JSON, CORS.

Errors are RFC 9457 problem details (``application/problem+json``), whatever raised them: a
validation of the query, a 404 from routing, a rate limit, a failure. Every answer may be read
from any origin (the data is public; no cookie is ever needed), is cacheable for a minute, and
carries a strong ETag so that a client asking again with ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import hashlib
import json
from http import HTTPStatus

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel
from werkzeug.exceptions import HTTPException
from werkzeug.http import quote_etag, remove_entity_headers

PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
# Where a kind of problem is explained: the reference page, one anchor per status.
PROBLEM_BASE = "/api/v1/docs#problem-"
CACHE_SECONDS = 60
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match",
    "Access-Control-Expose-Headers": "ETag, Link, Retry-After, X-RateLimit-Limit, "
    "X-RateLimit-Remaining, X-RateLimit-Reset",
    "Access-Control-Max-Age": "86400",
}
# Problem titles stay in English: clients read ``type`` and ``status``; people read ``detail``.
TITLES = {
    400: "Invalid request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def problem(status: int, detail: str = "", *, errors: list[dict] | None = None) -> Response:
    """A problem-details answer with ``status``; ``errors`` names what is wrong with each field."""
    body = {
        "type": f"{PROBLEM_BASE}{status}",
        "title": TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.full_path.rstrip("?"),
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    response.headers.update(CORS_HEADERS)
    response.cache_control.no_store = True
    return response


class ProblemError(HTTPException):
    """Raised anywhere in an API view to answer with a problem."""

    def __init__(self, status: int, detail: str = "", *, errors: list[dict] | None = None):
        super().__init__(description=detail, response=problem(status, detail, errors=errors))
        self.code = status


def from_http_error(error: HTTPException) -> Response:
    """The problem-details form of an HTTP error raised outside an API view (routing, limits)."""
    status = error.code or 500
    detail = {
        404: "There is nothing at this address.",
        405: "This address answers GET, HEAD and OPTIONS only: the API is read-only.",
        429: "Too many requests from this address. Wait, then try again.",
        500: "The server failed to answer. Nothing was changed; try again.",
    }.get(status, "")
    response = problem(status, detail)
    if status == 405:
        response.headers["Allow"] = "GET, HEAD, OPTIONS"
    if status == 429 and error.response is not None and error.response.headers.get("Retry-After"):
        response.headers["Retry-After"] = error.response.headers["Retry-After"]
    return response


def validation_errors(error) -> list[dict]:
    """Pydantic's errors as {name, reason}, in plain words, no Python inside."""
    found = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        name = ".".join(str(part) for part in item.get("loc", ())) or "query"
        reason = item.get("msg", "invalid").removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            reason = "unknown parameter"
        found.append({"name": name, "reason": reason})
    return found


def refuse_invalid(req, resp, req_validation_error, instance, model_adapter) -> None:
    """Spectree's hook before a view: an invalid query is a 400 problem, not its own shape."""
    if req_validation_error is not None:
        raise ProblemError(
            400,
            "The query string is not valid: see errors.",
            errors=validation_errors(req_validation_error),
        )


# -- cursors -------------------------------------------------------------------------------------


def _cursor_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="dialogue-api-cursor")


def make_cursor(endpoint: str, key: list) -> str:
    """An opaque, signed cursor for the page after ``key`` of the list at ``endpoint``."""
    return _cursor_signer().dumps([endpoint, key])


def read_cursor(cursor: str | None, endpoint: str) -> list | None:
    """The key a cursor holds; a forged, altered or foreign cursor is a 400 problem."""
    if not cursor:
        return None
    try:
        where, key = _cursor_signer().loads(cursor)
    except (BadSignature, ValueError, TypeError):
        raise ProblemError(
            400,
            "This cursor was not made by this list: start again without it.",
            errors=[{"name": "cursor", "reason": "not a cursor of this list"}],
        ) from None
    if where != endpoint or not isinstance(key, list):
        raise ProblemError(
            400,
            "This cursor belongs to another list: start again without it.",
            errors=[{"name": "cursor", "reason": "not a cursor of this list"}],
        )
    return key


# -- answers --------------------------------------------------------------------------------------


def json_response(model: BaseModel, *, next_url: str | None = None) -> Response:
    """``model`` as JSON, with the Link to the next page of a list."""
    response = Response(model.model_dump_json(by_alias=True), mimetype="application/json")
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def kept_headers(mimetype: str, etag: str, own: tuple[tuple[str, str], ...]) -> list:
    """Every header of an answer kept to be sent again, made once: what :func:`conditional`
    and the blueprint's CORS would add to it each time."""
    return [
        ("Content-Type", mimetype),
        ("ETag", quote_etag(etag)),
        ("Cache-Control", f"public, max-age={CACHE_SECONDS}"),
        *CORS_HEADERS.items(),
        ("Vary", "Accept-Encoding"),
        *own,
    ]


def send_kept(body: bytes, etag: str, headers: list) -> Response:
    """A kept answer with its ``headers`` (:func:`kept_headers`), or a 304 when the client has
    it already (``If-None-Match``, compared weakly as the standard says)."""
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304, headers=headers)
        remove_entity_headers(response.headers)
        return response
    return Response(body, headers=headers)


def conditional(response: Response, *, etag: str | None = None) -> Response:
    """Add the ETag, the caching and CORS; answer 304 when the client has this answer already."""
    response.set_etag(etag or hashlib.sha256(response.get_data()).hexdigest()[:32])
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.headers.update(CORS_HEADERS)
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)
