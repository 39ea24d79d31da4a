"""The starting reference lists every new ward copies: procedure areas and delegate categories."""

import csv
from functools import cache

from dialogue.content import CONTENT_DIR


@cache
def _read(name: str) -> tuple[dict[str, str], ...]:
    with (CONTENT_DIR / name).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def procedure_areas() -> tuple[dict[str, str], ...]:
    return _read("procedure-areas.csv")


def delegate_categories() -> tuple[dict[str, str], ...]:
    return _read("delegate-categories.csv")
