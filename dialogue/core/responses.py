"""What a response is to be: JSON for a page's script or a page, and how private it is."""

from __future__ import annotations

from flask import request

# A page reached by a private link (a resident's own question): the link must not travel to
# other sites, be kept by shared caches or be indexed.
PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


def wants_json() -> bool:
    """Tell whether the client asks for JSON rather than a page (a script's request)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"
