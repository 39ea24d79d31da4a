"""The domain texts kept as content: every text parses, placeholders are filled or refused."""

from __future__ import annotations

import string

import pytest

from dialogue.content import CONTENT_DIR, wording


def _texts(value, key=""):
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, f"{key}[{index}]")
    else:
        for name, item in value.items():
            yield from _texts(item, f"{key}.{name}" if key else name)


@pytest.mark.parametrize("path", sorted(CONTENT_DIR.glob("*.toml")), ids=lambda path: path.name)
def test_every_text_is_well_formed_vietnamese(path):
    texts = list(_texts(wording(path.stem).texts))
    assert texts
    for key, text in texts:
        # A stray brace would fail at the first document composed: fail here instead.
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        assert all(name.isidentifier() for name in names), key
        # A leading space is a fragment appended to a sentence; nothing ends in white space.
        assert text == text.rstrip(), f"{key} ends in white space"
        assert "\n" not in text, f"{key} breaks a line (end TOML lines with a backslash)"
        assert "  " not in text, f"{key} has a double space"


def test_a_missing_value_is_an_error_not_a_blank():
    minutes = wording("minutes.vi")
    assert minutes("turns.referral", unit="Công chức Tư pháp - Hộ tịch") == (
        "Chuyển Công chức Tư pháp - Hộ tịch trả lời bằng văn bản."
    )
    with pytest.raises(KeyError):
        minutes("turns.referral")
    with pytest.raises(KeyError):
        minutes("turns.no_such_text")
    with pytest.raises(TypeError):
        minutes.lines("turns.referral", unit="x")
