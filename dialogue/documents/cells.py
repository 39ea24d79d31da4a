"""What every format does to typed text before it writes it: NFC, XML-safe, never a formula."""

from __future__ import annotations

import re
import unicodedata

# OWASP "CSV injection": a cell starting with one of these may be run as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Control characters that XML (xlsx, docx) cannot hold; tab, line feed and CR are allowed.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def nfc(value) -> str:
    return unicodedata.normalize("NFC", str(value or ""))


def xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


def clean(value) -> str:
    """NFC text without the control characters XML cannot hold."""
    return xml_safe(nfc(value))


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def neutralise(text: str) -> str:
    """Prefix ``text`` with a quote when a spreadsheet would read it as a formula."""
    return "'" + text if is_formula_like(text) else text
