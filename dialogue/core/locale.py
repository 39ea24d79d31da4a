"""The language of the current request."""

from flask_babel import get_locale


def current_locale() -> str:
    """Return "vi" or "en": the language this request is answered in."""
    return str(get_locale() or "vi")
