"""Staff previews of a draft BB or TB, served from what was rendered last while nothing changed.

A preview is kept under the fingerprint of what it shows: the SHA-256 of the composed context
(``compose.document_context``), which is everything the templates read — the draft's texts and
settings, and the conference's turns, attendance, tasks, dossier figures, the outcomes of the
earlier conferences' referrals (judged at its date) and ward settings as they are now. Every
preview composes (≈ 15 ms for 100 turns) and renders only a context it has
not rendered before (the PDF ≈ 1 s): a change to the draft or to any record the document shows
changes the fingerprint, so an outdated preview is never served.

Kept per process (``dialogue.archive.pagecache.PageCache``: one entry per document and format,
least recently used out beyond the budget). While templates are reloaded as they change
(development), previews are rendered every time.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import Enum
from pathlib import Path

from flask import Flask, current_app
from markupsafe import Markup

from dialogue.archive.pagecache import PageCache, RenderedPage
from dialogue.minutes import render
from dialogue.minutes.compose import document_context

EXTENSION_KEY = "dialogue.minutes.previews"
# Bytes of PDF and characters of HTML kept per process: a draft BB of 100 turns is about
# 75 KB of PDF and 90,000 characters of HTML.
BUDGET = 16_000_000


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = PageCache(BUDGET)


def preview_cache() -> PageCache:
    return current_app.extensions[EXTENSION_KEY]


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"not plain data in a document context: {type(value).__name__}")


def fingerprint(context: dict) -> str:
    """Return the SHA-256 of ``context`` as JSON: the same for the same document."""
    # Keys in the order compose wrote them: a template may iterate over a dict.
    text = json.dumps(context, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _kept(kind: str, conference, draft, make):
    context = document_context(conference, draft)
    if current_app.jinja_env.auto_reload:
        return make(context)
    # The stylesheet is read again when it changes (``documents.pdf``); so is its preview.
    stylesheet = Path(current_app.static_folder, render.STYLESHEET).stat().st_mtime_ns
    key = (kind, conference.id, getattr(draft.doc_type, "value", draft.doc_type))
    stamp = (fingerprint(context), stylesheet)
    cache = preview_cache()
    kept = cache.get(key, stamp)
    if kept is None:
        kept = make(context)
        cache.put(key, stamp, kept)
    return kept


def _html_page(context: dict) -> RenderedPage:
    return RenderedPage(title="", body=Markup(render.render_document_html(context)))


def preview_html(conference, draft) -> Markup:
    """Return the HTML fragment of ``draft`` as it would be published, without its number."""
    return _kept("html", conference, draft, _html_page).body


def preview_pdf(conference, draft) -> bytes:
    """Return the PDF of ``draft`` as it would be published, unnumbered and marked "DỰ THẢO"."""
    return _kept("pdf", conference, draft, render.render_document_pdf)
