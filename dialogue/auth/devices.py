"""A browser's User-Agent header told in a few words, for the list of one's sessions."""

from __future__ import annotations

import re

# The first that matches names the browser: the ones built on Chrome say "Chrome" too, and
# Chrome and Firefox on iOS say "Safari".
_BROWSERS = (
    (re.compile(r"\bcoc_coc_browser/"), "Cốc Cốc"),
    (re.compile(r"\bZalo\b", re.IGNORECASE), "Zalo"),
    (re.compile(r"\bEdg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"\b(?:OPR|Opera)/"), "Opera"),
    (re.compile(r"\bSamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"\bYaBrowser/"), "Yandex"),
    (re.compile(r"\bFxiOS/"), "Firefox"),
    (re.compile(r"\bCriOS/"), "Chrome"),
    (re.compile(r"\bFirefox/"), "Firefox"),
    (re.compile(r"\bChromium/"), "Chromium"),
    (re.compile(r"\bChrome/"), "Chrome"),
    (re.compile(r"\bVersion/[\d.]+.*\bSafari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"\biPad\b"), "iPad"),
    (re.compile(r"\biPhone\b"), "iPhone"),
    (re.compile(r"\bAndroid\b"), "Android"),
    (re.compile(r"\bCrOS\b"), "ChromeOS"),
    (re.compile(r"\bWindows\b"), "Windows"),
    (re.compile(r"\bMac OS X\b|\bMacintosh\b"), "macOS"),
    (re.compile(r"\bLinux\b"), "Linux"),
)
MAX_LENGTH = 120


def describe_device(user_agent: str) -> str:
    """Return "Chrome · Windows", or as much of it as the header tells ("" when nothing)."""
    user_agent = user_agent[:1000]
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), "")
    return " · ".join(part for part in (browser, system) if part)[:MAX_LENGTH]
