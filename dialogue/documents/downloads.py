"""File names, the Content-Disposition header and the caching of a download, for every format."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from dialogue.core.text import fold


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def dated_filename(stem: str, day: date, extension: str) -> str:
    """``luot-phat-bieu-2020-06-30.xlsx``: the stem folded to ASCII and the day."""
    return f"{_slug(stem)}-{day.isoformat()}.{extension}"


def content_disposition(filename: str) -> str:
    """An attachment header with both ``filename`` (ASCII) and ``filename*`` (RFC 5987)."""
    stem, _dot, extension = filename.rpartition(".")
    ascii_name = f"{_slug(stem)}.{_slug(extension)}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# Content named by its own hash never changes: kept a year, never asked about again.
IMMUTABLE_SECONDS = 365 * 24 * 3600


def as_immutable(response, sha256: str):
    """Mark ``response`` as the content with ``sha256``: its ETag, cacheable by anyone for good."""
    response.set_etag(sha256)
    response.cache_control.public = True
    response.cache_control.max_age = IMMUTABLE_SECONDS
    response.cache_control.immutable = True
    return response
