"""Safe redirects."""

from urllib.parse import urlsplit


def is_safe_next(target: str | None) -> bool:
    """Tell whether ``target`` is a path on this site (no scheme, no host, no tricks)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
