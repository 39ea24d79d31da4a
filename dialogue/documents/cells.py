"""What every format does to typed text before it writes it: NFC, XML-safe, never a formula."""

from __future__ import annotations

import re
import unicodedata

# OWASP "CSV injection": a cell starting with one of these is read as a formula.
FORMULA_PREFIXES = ("=", "@", "\t", "\r")
# A leading sign starts a formula that does something only with a call, a link to another
# program or a sum: "+HYPERLINK(…)", "-2+3+cmd|' /C calc'!A0", "+1+1". A phone number
# ("+84 912-345-678 (Zalo)") or a dash opening a line of text ("- Đề nghị (cấp phép) - tầng 1")
# is ordinary text and stays as typed.
SIGNS = ("+", "-")
_ACTIVE = re.compile(r"(?<!\w)[A-Za-z_][A-Za-z0-9_.]*\(|[|@]|\d\s*[+*^&]\s*[\d(]")

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
    """Tell whether a spreadsheet would compute ``text`` rather than show it."""
    if text.startswith(FORMULA_PREFIXES):
        return True
    return text.startswith(SIGNS) and _ACTIVE.search(text, 1) is not None


def neutralise(text: str) -> str:
    """Prefix ``text`` with a quote when a spreadsheet would read it as a formula."""
    return "'" + text if is_formula_like(text) else text
