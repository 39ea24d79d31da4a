"""The ledger's hashing, in one place: what an entry's hash covers and how it is written.

The format is part of what is published: it never changes, or old logs stop verifying. An
entry's hash is the SHA-256 of the UTF-8 JSON object of the hashed fields below, keys sorted,
no spaces (``json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

HASHED_FIELDS = (
    "sequence",
    "previous_hash",
    "kind",
    "document_id",
    "number_label",
    "version",
    "published_at",
    "pdf_sha256",
    "html_sha256",
)


def published_at(moment: datetime) -> str:
    """The publication time as the ledger hashes it: UTC, microseconds, "Z"."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: dict) -> bytes:
    """The bytes an entry's hash is taken over: the hashed fields only, in one fixed form."""
    return json.dumps(
        {name: fields[name] for name in HASHED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def entry_hash(fields: dict) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


def sha256_hex(data: bytes | str | None) -> str:
    """The SHA-256 of stored bytes or text; empty for nothing (an answer without a letter)."""
    if data is None:
        return ""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(bytes(data)).hexdigest()
