"""Binding the web layer: sessions, language, CSRF, rate limits, headers, errors, filters."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, render_template, request, session
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from dialogue.core import dates, forms, wtforms_messages
from dialogue.core.locale import current_locale
from dialogue.extensions import babel, csrf, limiter, login_manager

LOCALE_KEY = "locale"

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
    from sqlalchemy import select

    from dialogue.auth.models import User
    from dialogue.extensions import db

    user = db.session.scalar(select(User).where(User.login_token == token))
    if user is None or not user.is_active:
        return None
    return user


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
    if not _is_api_data() and current_user and current_user.is_authenticated:
        # Pages of signed-in staff hold personal data: never keep them in shared caches.
        headers.setdefault("Cache-Control", "private, no-store")
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
    from werkzeug.exceptions import HTTPException, InternalServerError

    from dialogue.api import http

    for handlers in list(app.error_handler_spec[None].values()):
        for exception_class, handler in list(handlers.items()):

            def answer(error, handler=handler):
                if not http.is_api_request():
                    return handler(error)
                if not isinstance(error, HTTPException):
                    error = InternalServerError()
                return http.from_http_error(error)

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
    proxies = app.config["DIALOGUE_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from dialogue.auth.models import configure_password_hashing

    configure_password_hashing(fast=app.config["DIALOGUE_ENV"] == "testing")

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    wtforms_messages.install()
    forms.install_rendering()
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.after_request(_security_headers)
    _register_error_handlers(app)
    _answer_api_errors_as_problems(app)
    _register_template_helpers(app)
