"""Text helpers: diacritic folding for search, normalisation of what users type."""

import re
import unicodedata

_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def normalize_text(value: str | None) -> str:
    """Return ``value`` in NFC with surrounding whitespace removed and inner runs collapsed."""
    if not value:
        return ""
    return " ".join(unicodedata.normalize("NFC", value).split())


def normalize_paragraphs(value: str | None) -> str:
    """Return ``value`` as paragraphs: each line normalised, empty lines dropped, one per line."""
    if not value:
        return ""
    return "\n".join(line for line in map(normalize_text, value.splitlines()) if line)


def fold(value: str | None) -> str:
    """Fold ``value`` for search: lower case, no diacritics, đ as d, single spaces."""
    if not value:
        return ""
    text = value.translate(_EXTRA_FOLDS)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.casefold().split())


def like_pattern(term: str) -> str:
    """Return a LIKE pattern that finds the folded ``term`` anywhere, wildcards escaped."""
    escaped = fold(term).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# What no text typed by a person holds: C0 and C1 control characters but the tab and the line
# break (a carriage return becomes a line break first), lone surrogates (JSON's "\ud800", which
# no database encodes), and the bidirectional embeddings, overrides and isolates, which reorder
# the characters around them ("PHƯỜNG … evil" printed as "live" in a document's header).
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LINE_BREAKS = re.compile("\r\n?")


def clean_text(value: str) -> str:
    """Return ``value`` without the characters no typed text holds; line breaks as ``\\n``."""
    if value.isprintable():
        return value  # the usual case, and the fast one
    return _UNWANTED.sub("", _LINE_BREAKS.sub("\n", value))


def clean_line(value: str) -> str:
    """Return ``value`` cleaned as :func:`clean_text`, its tabs and line breaks as spaces."""
    return clean_text(value).replace("\n", " ").replace("\t", " ")


def clean_data(value):
    """Return a parsed JSON document with every string in it (keys too) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_data(item) for item in value]
    if isinstance(value, dict):
        return {clean_line(key): clean_data(item) for key, item in value.items()}
    return value
