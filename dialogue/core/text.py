"""Text helpers: diacritic folding for search, normalisation of what users type."""

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
