"""Matching a speaker's name typed offline against the people checked in.

Offline the console cannot offer the list of those present, so a secretary types the name as
it comes ("vu dinh khoi", no group). On arrival the name is compared with the attendees
present, diacritics aside (đ as d), the residential group considered when one was chosen:
one clear match is linked; several, or only near ones, are left for a secretary to confirm.
Folding makes different names equal ("Khôi", "Khởi" and "Khoi" all read "khoi"): two present
people who fold alike are never told apart by a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from dialogue.attendance.models import Attendee
from dialogue.core.text import fold

# Words said before a name ("Ông Lê Văn Hùng", "bà Mai"), folded: not part of the name.
HONORIFICS = frozenset({"ong", "ba", "anh", "chi", "co", "chu", "bac", "cu", "em"})
# How alike two folded names must be to be offered as a candidate for a typing slip.
NEAR_RATIO = 0.8
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class SpeakerMatchResult:
    """``linked``: the one attendee the name clearly is; else ``candidates`` to choose from."""

    linked: Attendee | None = None
    candidates: Sequence[Attendee] = field(default_factory=tuple)


def name_words(name: str) -> list[str]:
    """The folded words of a person's name, the honorifics before it left out."""
    words = fold(name).split()
    while len(words) > 1 and words[0] in HONORIFICS:
        words = words[1:]
    return words


def _nearness(typed: list[str], name: list[str]) -> float:
    """0 when ``typed`` cannot be ``name``; higher the more alike (1: the same words)."""
    if not typed or not name:
        return 0.0
    if typed == name:
        return 1.0
    # The end of the name ("dinh khoi", "khoi"): Vietnamese call people by their last words.
    if len(typed) < len(name) and name[-len(typed) :] == typed:
        return 0.9 if len(typed) > 1 else 0.7
    if set(typed) <= set(name):
        return 0.75
    ratio = SequenceMatcher(None, " ".join(typed), " ".join(name)).ratio()
    return ratio if ratio >= NEAR_RATIO else 0.0


def match_speaker(
    typed_name: str, group_id: int | None, present: Sequence[Attendee]
) -> SpeakerMatchResult:
    """Match ``typed_name`` (of residential group ``group_id``, if chosen) against ``present``.

    Linked only when exactly one present person has that very name once folded and, when a
    group was chosen, belongs to it; everyone else who may be meant is a candidate, those of
    the chosen group first.
    """
    typed = name_words(typed_name)
    if not typed:
        return SpeakerMatchResult()
    scored = []
    for attendee in present:
        nearness = _nearness(typed, name_words(attendee.full_name))
        if nearness:
            same_group = group_id is not None and attendee.residential_group_id == group_id
            scored.append((nearness, same_group, attendee))
    exact = [attendee for nearness, _same, attendee in scored if nearness == 1.0]
    if group_id is not None:
        exact = [attendee for attendee in exact if attendee.residential_group_id == group_id]
    if len(exact) == 1:
        return SpeakerMatchResult(linked=exact[0])
    scored.sort(key=lambda item: (-item[1], -item[0], fold(item[2].full_name), item[2].id))
    return SpeakerMatchResult(
        candidates=tuple(attendee for _n, _s, attendee in scored[:MAX_CANDIDATES])
    )
