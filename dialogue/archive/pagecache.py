"""Published versions' pages and PDFs, kept per process and checked on every request.

A published version never changes, but its page also shows things that can (a newer version,
the photos, the ward's name). Each request takes the page's stamp (``operations.page_stamp``,
one small query, itself kept until the ward changes: ``core.ward_changes``) and uses a body
rendered for exactly that stamp and language, or renders it again. Nothing is ever served for
a stamp it was not rendered for; the cache only saves the work of reading and rendering.
For a visitor without an account (no message waiting, no query string) the whole page is kept
too, under the same stamp: such a page holds nothing of the visitor's but the language.

PDF bytes are kept by their SHA-256, which the request reads from the database (without the
bytes): content found by its own hash cannot be out of date.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, current_app
from markupsafe import Markup

EXTENSION_KEY = "dialogue.archive.pages"
PDF_EXTENSION_KEY = "dialogue.archive.pdfs"
# Characters of rendered bodies, and bytes of whole pages, kept per process: the body of a
# biên bản of 100 turns is about 90,000 characters, its whole page about 95,000 bytes.
DEFAULT_BUDGET = 8_000_000
# Bytes of PDFs kept per process; a biên bản of 100 turns is about 80 KB.
PDF_BUDGET = 32_000_000


@dataclass(frozen=True)
class RenderedPage:
    title: str
    body: Markup


def _size(value) -> int:
    """The bytes a kept value holds: a page's bytes, a page's body and title, or its ``nbytes``."""
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, RenderedPage):
        return len(value.body) + len(value.title)
    return value.nbytes


class PageCache:
    """A thread-safe LRU of rendered pages (bodies, or whole pages as the bytes sent), each
    valid for one stamp, within a size budget."""

    def __init__(self, budget: int = DEFAULT_BUDGET):
        self.budget = budget
        self._size = 0
        self._entries: OrderedDict[tuple, tuple[tuple, RenderedPage | bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, stamp: tuple) -> RenderedPage | bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple, stamp: tuple, page: RenderedPage | bytes) -> None:
        size = _size(page)
        if size > self.budget:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= _size(old[1])
            self._entries[key] = (stamp, page)
            self._size += size
            while self._size > self.budget:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= _size(evicted)

    def __len__(self) -> int:
        return len(self._entries)


class PdfCache:
    """A thread-safe LRU of PDF bytes by their SHA-256, within a size budget."""

    def __init__(self, budget: int = PDF_BUDGET):
        self.budget = budget
        self._size = 0
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str) -> bytes | None:
        with self._lock:
            data = self._entries.get(sha256)
            if data is not None:
                self._entries.move_to_end(sha256)
            return data

    def put(self, sha256: str, data: bytes) -> None:
        if len(data) > self.budget:
            return
        with self._lock:
            if sha256 in self._entries:
                return
            self._entries[sha256] = data
            self._size += len(data)
            while self._size > self.budget:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = PageCache()
    app.extensions[PDF_EXTENSION_KEY] = PdfCache()


def page_cache() -> PageCache:
    return current_app.extensions[EXTENSION_KEY]


def pdf_cache() -> PdfCache:
    return current_app.extensions[PDF_EXTENSION_KEY]


# -- a signed-in user's own pages ----------------------------------------------------------------

# Stands for the session's form token in a kept page of a signed-in user: the page is kept for
# that account alone, and each of the account's sessions gets its own token put back.
_TOKEN_SLOT = b"\x00session-token\x00"


def _own_page_key(key: tuple) -> tuple | None:
    from flask import session
    from flask_login import current_user

    if session.get("_flashes"):
        # A message waits to be shown once: this response is not the kept page.
        return None
    return ("own", current_user.id, current_user.role, current_user.display_name, *key)


def kept_own_page(key: tuple, stamp: tuple | None) -> bytes | None:
    """The signed-in user's page kept under ``key`` for ``stamp``, with this session's token."""
    from flask_wtf.csrf import generate_csrf

    own_key = _own_page_key(key)
    if own_key is None or stamp is None:
        return None
    page = page_cache().get(own_key, stamp)
    if page is None:
        return None
    return page.replace(_TOKEN_SLOT, generate_csrf().encode())


def keep_own_page(key: tuple, stamp: tuple | None, html: str) -> bytes:
    """Keep the signed-in user's page ``html`` under ``key`` for ``stamp``; return its bytes."""
    from flask_wtf.csrf import generate_csrf

    page = html.encode()
    own_key = _own_page_key(key)
    if own_key is not None and stamp is not None:
        page_cache().put(own_key, stamp, page.replace(generate_csrf().encode(), _TOKEN_SLOT))
    return page
