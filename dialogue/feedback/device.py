"""A device's identity for ratings, survey answers and supports, without an account.

A phone gets a random identifier in a signed cookie the first time it rates, answers or
supports. The database keeps only a keyed hash of it (``Device.key``): enough to let the device
change its own rating and to keep it from counting twice, nothing that says who holds it, and
nothing that would let someone who reads the database act as that device. A cookie whose
signature does not hold is refused (and replaced, so that a resident can simply try again).

Forms that carry no per-visitor token (the public pages are the same for every visitor, so
they can be kept whole) are refused when the browser says they were posted from another site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import after_this_request, current_app, g, request
from itsdangerous import BadSignature, Signer

COOKIE_NAME = "dialogue_device"
SALT = "dialogue.feedback.device"
COOKIE_LIFETIME = timedelta(days=400)


@dataclass(frozen=True)
class Device:
    # What the database keeps: hex HMAC-SHA256 of the identifier.
    key: str
    # First seen now (no cookie came with the request): counted against the address's limit
    # of new devices.
    is_new: bool = False
    # The cookie came with a signature that does not hold: a forged or damaged identifier.
    is_forged: bool = False


def _signer() -> Signer:
    return Signer(current_app.secret_key, salt=SALT)


def key_of(identifier: str, *, purpose: str = "device") -> str:
    """The keyed hash stored for ``identifier``."""
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    message = f"{purpose}:{identifier}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def asker_key(question_id: int) -> str:
    """The device key of a question's sender rating through their private link: one per
    question, whichever phone opens the link."""
    return key_of(str(question_id), purpose="asker")


def _read_cookie() -> tuple[str | None, bool]:
    """The request's identifier and whether its signature failed, checked once per request
    (the limits and the view all ask)."""
    if "_device_cookie" not in g:
        g._device_cookie = _unsigned(request.cookies.get(COOKIE_NAME))
    return g._device_cookie


def _unsigned(raw: str | None) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return _signer().unsign(raw).decode(), False
    except (BadSignature, UnicodeDecodeError):
        return None, True


def current_device() -> Device:
    """This request's device; a new one (its cookie set on the response) when it has none."""
    identifier, forged = _read_cookie()
    if identifier is not None:
        return Device(key=key_of(identifier))
    identifier = secrets.token_urlsafe(18)
    signed = _signer().sign(identifier).decode()

    @after_this_request
    def _set_cookie(response):
        response.set_cookie(
            COOKIE_NAME,
            signed,
            max_age=int(COOKIE_LIFETIME.total_seconds()),
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
        return response

    return Device(key=key_of(identifier), is_new=True, is_forged=forged)


def known_device_key() -> str | None:
    """The device key of this request's cookie, without making one (None when it has none)."""
    identifier, _ = _read_cookie()
    return key_of(identifier) if identifier is not None else None


def posted_from_another_site() -> bool:
    """Tell whether the browser says this post comes from a page of another site."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return True
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc.lower() != request.host.lower()


def limit_key() -> str:
    """The rate limiter's key for one device (only asked for a request that has one)."""
    return f"device:{known_device_key()}"


def _address_limit() -> str:
    return current_app.config["RATELIMIT_FEEDBACK"]


def _device_limit() -> str:
    return current_app.config["RATELIMIT_FEEDBACK_DEVICE"]


def _new_device_limit() -> str:
    return current_app.config["RATELIMIT_NEW_DEVICES"]


def _has_device() -> bool:
    return known_device_key() is not None


def feedback_limits(view):
    """Limit a residents' feedback post: per address, per device, and new devices per address.

    Put it under the route and ``@public``; a view may set ``g.rate_limit_handler`` (see the
    application's 429 handler) to answer in place.
    """
    from dialogue.extensions import limiter

    # A phone's first post (no identifier yet) counts against its address's new devices only:
    # counted per device under the address, a hall's first thirty phones would lock out the rest.
    view = limiter.limit(_new_device_limit, methods=["POST"], exempt_when=_has_device)(view)
    view = limiter.limit(
        _device_limit,
        methods=["POST"],
        key_func=limit_key,
        exempt_when=lambda: not _has_device(),
    )(view)
    return limiter.limit(_address_limit, methods=["POST"])(view)
