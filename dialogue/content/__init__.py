"""Domain texts kept as content, not code: reference lists and the documents' wording.

``procedure-areas.csv`` and ``delegate-categories.csv`` are the lists a new ward copies;
``minutes.vi.toml`` is the wording of the biên bản and the thông báo kết luận. A clerk-facing
wording change is an edit of one of these files.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

CONTENT_DIR = Path(__file__).parent


class Wording:
    """The texts of one TOML file, looked up by dotted key and filled in from keyword values."""

    def __init__(self, name: str, texts: dict):
        self.name = name
        self.texts = texts

    def _find(self, key: str):
        value = self.texts
        for part in key.split("."):
            try:
                value = value[part]
            except (KeyError, TypeError):
                raise KeyError(f"{self.name} has no text {key!r}") from None
        return value

    def __call__(self, key: str, **values) -> str:
        """The text at ``key`` with its ``{placeholders}`` filled in; a missing one is an error."""
        text = self._find(key)
        if not isinstance(text, str):
            raise TypeError(f"{self.name}: {key!r} is not one text")
        return text.format_map(values) if values else text.format_map({})

    def lines(self, key: str, **values) -> list[str]:
        """The list of texts at ``key``, each filled in."""
        texts = self._find(key)
        if not isinstance(texts, list):
            raise TypeError(f"{self.name}: {key!r} is not a list of texts")
        return [text.format_map(values) for text in texts]

    def table(self, key: str) -> dict[str, str]:
        """The texts under ``key`` as a mapping, unfilled (labels)."""
        return dict(self._find(key))


@cache
def wording(name: str) -> Wording:
    """Load ``<name>.toml`` from the content folder once per process."""
    with (CONTENT_DIR / f"{name}.toml").open("rb") as handle:
        return Wording(name, tomllib.load(handle))
