"""Binding the web layer: sessions, language, CSRF, rate limits, headers, errors, filters."""

from __future__ import annotations

import functools
import sqlite3

import sqlalchemy.exc as sa_exc
from flask import (
    Flask,
    Request,
    current_app,
    g,
    has_request_context,
    make_response,
    render_template,
    request,
    session,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, iter_multi_items
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

from dialogue.core import dates, forms, ids, text, wtforms_messages
from dialogue.core.locale import current_locale
from dialogue.extensions import babel, csrf, db, limiter, login_manager

LOCALE_KEY = "locale"
# While the database does not answer, how long the browser or proxy is asked to wait.
DATABASE_RETRY_AFTER_SECONDS = 5

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def select_locale() -> str:
    if not has_request_context() or _is_api_data():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(LOCALE_KEY)
    if chosen in current_app.config["DIALOGUE_LOCALES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _is_api_data() -> bool:
    """The API's answers are the same for everyone: never read from the session (its reference
    page, for people, follows their language)."""
    from dialogue.api.http import is_api_request

    return is_api_request() and request.endpoint != "api.docs"


def select_timezone() -> str:
    from dialogue.core.scoping import current_ward

    if has_request_context() and not _is_api_data() and current_user.is_authenticated:
        ward = current_ward()
        if ward is not None:
            return ward.timezone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _load_user(token: str):
    # The cookies carry a server-side session's token: a live session loads its account.
    from dialogue.auth.sessions import load_user

    return load_user(token)


# -- what comes in: clean text, numbers a key can be ---------------------------------------------


def _clean_value(value):
    if isinstance(value, str):
        return text.clean_text(value)
    if isinstance(value, FileStorage) and value.filename:
        value.filename = text.clean_line(value.filename)
    return value


class CleanFields(ImmutableMultiDict):
    """The fields of a query string or a form, their text cleaned (``text.clean_text``).

    Read with ``type=int``, a number no key can be (``ids.MAX_ID``) is as good as no number:
    ``get`` gives the default, as it does for "abc".
    """

    def __init__(self, mapping=None):
        super().__init__(
            [
                (text.clean_line(name), _clean_value(value))
                for name, value in iter_multi_items(mapping or ())
            ]
        )

    def get(self, key, default=None, type=None):
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not ids.is_storable(value):
            return default
        return value


class CleanRequest(Request):
    """A request whose submitted text is clean wherever a view reads it.

    NUL, other control characters and bidirectional overrides are taken out on the way in, in
    this one place: ``args``, ``form`` (so every form), the names of uploaded files and
    ``get_json()`` (the console's turns). The pages then never store them, PostgreSQL never
    refuses them, and no document prints "evil" as "live".
    """

    parameter_storage_class = CleanFields

    def get_json(self, force=False, silent=False, cache=True):
        return text.clean_data(super().get_json(force=force, silent=silent, cache=cache))


class KeyConverter(IntegerConverter):
    """``<int:…>`` up to the largest key (``ids.MAX_ID``): a larger number matches no route, 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=ids.MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class CleanSegmentConverter(UnicodeConverter):
    """``<name>``: a segment holding a character no address has (NUL, an override) is no page."""

    def to_python(self, value: str) -> str:
        if text.clean_line(value) != value:
            raise ValidationError()
        return value


def _clamp_pages_past_any_key():
    """``db.paginate`` reads ``?page=`` and ``?per_page=`` itself, and a number past any key
    overflows the database: it is read as the largest key instead (a page past the end: the
    list says there is nothing on it, as for any page past its end)."""
    huge = {}
    for name in ("page", "per_page"):
        try:
            number = int(request.args.get(name, ""))
        except ValueError:
            continue  # no number: paginate answers that itself
        if not ids.is_storable(number):
            huge[name] = str(ids.MAX_ID if number > 0 else 1)
    if huge:
        pairs = [(name, huge.get(name, value)) for name, value in request.args.items(multi=True)]
        request.args = request.parameter_storage_class(pairs)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Pages of signed-in staff hold personal data: never keep them in shared caches. (An answer
    # that says already how to keep it needs no look at the user, who may not be loadable.)
    if (
        "Cache-Control" not in headers
        and not _is_api_data()
        and current_user
        and current_user.is_authenticated
    ):
        headers["Cache-Control"] = "private, no-store"
    return response


def _kept_fields() -> list[tuple[str, str]]:
    """Return what the user had typed into the rejected form, passwords left out."""
    return [
        (name, value)
        for name, values in request.form.lists()
        for value in values
        if name != "csrf_token" and "password" not in name
    ]


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return (
            render_template(
                "errors/csrf.html", kept_fields=_kept_fields(), action=request.full_path.rstrip("?")
            ),
            400,
        )

    @app.errorhandler(403)
    def forbidden(error):
        return render_template(
            "errors/error.html", code=403, message=_("You may not do this.")
        ), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template(
            "errors/error.html", code=404, message=_("This page does not exist.")
        ), 404

    @app.errorhandler(405)
    def method_not_allowed(error):
        return (
            render_template(
                "errors/error.html",
                code=405,
                message=_("This address does not accept that request."),
            ),
            405,
        )

    @app.errorhandler(413)
    def too_large(error):
        limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = _(
            "What you sent is larger than %(limit)s MB. Choose a smaller file.", limit=limit_mb
        )
        return render_template("errors/error.html", code=413, message=message), 413

    @app.errorhandler(429)
    def too_many(error):
        message = _("Too many attempts. Wait a minute, then try again.")
        handler = getattr(g, "rate_limit_handler", None)
        if handler is not None:
            return handler(message)
        return render_template("errors/error.html", code=429, message=message), 429

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def database_unavailable(error):
        # The database is down or restarting (after one retry at checkout): a moment's
        # unavailability, not a fault of the page. The proxy and the browser may try again.
        # SQLite's file is always there: its OperationalError is a busy lock, or a fault of ours
        # (a missing table), which stays a server error with its traceback in the log.
        if isinstance(error.orig, sqlite3.Error) and "locked" not in str(error.orig):
            current_app.logger.error("Database error", exc_info=error)
            return server_error(error)
        current_app.logger.warning("Database unavailable: %s", error.orig or error)
        # Rendered without the context processors: they read the signed-in user and the ward.
        page = current_app.jinja_env.get_template("errors/unavailable.html").render(
            request=request, current_locale=current_locale()
        )
        response = make_response(page, 503)
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(500)
    def server_error(error):
        return (
            render_template(
                "errors/error.html",
                code=500,
                message=_(
                    "Something went wrong on our side. What you sent was not saved; please try again."
                ),
            ),
            500,
        )


def _answer_api_errors_as_problems(app: Flask) -> None:
    """Under /api/ every error is a problem-details document, never an HTML page."""
    from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

    from dialogue.api import http

    for handlers in list(app.error_handler_spec[None].values()):
        for exception_class, handler in list(handlers.items()):

            def answer(error, handler=handler):
                if not http.is_api_request():
                    return handler(error)
                if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
                    response = http.from_http_error(ServiceUnavailable())
                    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
                    return response
                if not isinstance(error, HTTPException):
                    error = InternalServerError()
                return http.from_http_error(error)

            handlers[exception_class] = answer


def _roll_back_before_error_pages(app: Flask) -> None:
    """Answer every error on a fresh transaction.

    After a failed statement PostgreSQL refuses every other one until the rollback: the error
    page (which reads the signed-in user) would fail in turn. What the failed request changed
    is never kept anyway.
    """
    for handlers in app.error_handler_spec[None].values():
        for exception_class, handler in list(handlers.items()):

            @functools.wraps(handler)
            def answer(error, handler=handler):
                db.session.rollback()
                return handler(error)

            handlers[exception_class] = answer


def _register_template_helpers(app: Flask) -> None:
    from dialogue.core.scoping import current_ward

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["vn_date"] = dates.vn_date
    app.jinja_env.filters["vn_short_date"] = dates.vn_short_date
    # "5.000" in Vietnamese, "5,000" in English.
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["vn_datetime"] = dates.vn_datetime
    app.jinja_env.filters["html_datetime"] = dates.html_datetime
    app.jinja_env.filters["local_dt"] = lambda value, fmt="%d/%m/%Y %H:%M": (
        dates.to_local(value, select_timezone()).strftime(fmt) if value else ""
    )

    @app.context_processor
    def inject_globals():
        return {
            "current_locale": current_locale(),
            "available_locales": app.config["DIALOGUE_LOCALES"],
            "current_ward": current_ward()
            if has_request_context() and current_user.is_authenticated
            else None,
        }


def init_app(app: Flask) -> None:
    # Before any blueprint adds its routes: a rule takes its converters when it is added.
    app.request_class = CleanRequest
    app.url_map.converters.update(
        int=KeyConverter, default=CleanSegmentConverter, string=CleanSegmentConverter
    )
    proxies = app.config["DIALOGUE_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from dialogue.auth.models import configure_password_hashing

    configure_password_hashing(fast=app.config["DIALOGUE_ENV"] == "testing")

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    wtforms_messages.install()
    forms.install()
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.before_request(_clamp_pages_past_any_key)
    app.after_request(_security_headers)
    _register_error_handlers(app)
    _answer_api_errors_as_problems(app)
    _roll_back_before_error_pages(app)
    _register_template_helpers(app)
