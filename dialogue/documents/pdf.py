"""Rendering official documents to PDF with WeasyPrint, fetching nothing but our own static files.

Templates refer to fonts, stylesheets and images by paths relative to ``static/``; the
fetcher serves exactly those files and refuses everything else (``file://``, the network,
paths that climb out of ``static/``). Generated images (QR codes) are embedded as data URIs.
"""

from __future__ import annotations

import logging
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_BASE_URL = "https://dialogue.invalid/static/"
_ALLOWED_DATA_TYPES = ("data:image/png", "data:image/jpeg", "data:image/svg+xml")
log = logging.getLogger(__name__)


class RefusedResource(ValueError):
    """A document asked for something outside the application's static files."""


class StaticOnlyFetcher(URLFetcher):
    """Serve files under ``static_root`` for URLs under STATIC_BASE_URL; refuse the rest."""

    def __init__(self, static_root: Path):
        super().__init__(allowed_protocols=("https", "data"), allow_redirects=False)
        self.static_root = static_root.resolve()

    def fetch(self, url, headers=None):
        if url.startswith(_ALLOWED_DATA_TYPES):
            return super().fetch(url, headers)
        if not url.startswith(STATIC_BASE_URL):
            log.warning("refused to fetch %r while rendering a document", url[:200])
            raise RefusedResource(f"not an application static file: {url[:200]}")
        relative = unquote(urlsplit(url).path).removeprefix("/static/")
        path = (self.static_root / relative).resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            raise RefusedResource(f"no such static file: {relative[:200]}")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})


def render_pdf(
    template: str, *, stylesheets: tuple[str, ...] = (), pdf_variant: str | None = None, **context
) -> bytes:
    """Render ``template`` with ``context`` to PDF bytes; the HTML never reaches the network."""
    html = render_template(template, **context)
    return html_to_pdf(html, stylesheets=stylesheets, pdf_variant=pdf_variant)


# Per thread: the font configuration and the parsed stylesheets, made once and reused. A new
# FontConfiguration for every document leaks native memory (fontconfig, ~0.2 MB a document)
# and loads the @font-face fonts again; Pango's font maps are not shared between threads.
_prepared = threading.local()


def _fonts_and_sheets(static_root: Path, stylesheets: tuple[str, ...]):
    """Return (FontConfiguration, [CSS]) for ``stylesheets``, parsed again only if a file changed.

    Fonts belong in these stylesheets: an @font-face in a document's own <style> would be
    added to the shared configuration at every rendering.
    """
    cache = getattr(_prepared, "sheets", None)
    if cache is None:
        cache = _prepared.sheets = {}
    stamps = tuple((static_root / name).stat().st_mtime_ns for name in stylesheets)
    key = (static_root, stylesheets)
    entry = cache.get(key)
    if entry is None or entry[0] != stamps:
        fetcher = StaticOnlyFetcher(static_root)
        fonts = FontConfiguration()
        sheets = [
            CSS(url=STATIC_BASE_URL + name, url_fetcher=fetcher, font_config=fonts)
            for name in stylesheets
        ]
        entry = cache[key] = (stamps, fonts, sheets)
    return entry[1], entry[2]


def html_to_pdf(
    html: str, *, stylesheets: tuple[str, ...] = (), pdf_variant: str | None = None
) -> bytes:
    static_root = Path(current_app.static_folder).resolve()
    fetcher = StaticOnlyFetcher(static_root)
    fonts, sheets = _fonts_and_sheets(static_root, tuple(stylesheets))
    document = HTML(string=html, base_url=STATIC_BASE_URL, url_fetcher=fetcher)
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    return document.write_pdf(
        stylesheets=sheets, font_config=fonts, uncompressed_pdf=False, **options
    )
