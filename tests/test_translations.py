"""The Vietnamese catalogue covers every string of the interface, with its placeholders intact."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from dialogue.config import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "dialogue" / "translations" / "vi" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "_l": None,
}


def _extracted() -> set[str]:
    found = set()
    for directory, method in (
        (PROJECT_ROOT / "dialogue", "python"),
        (PROJECT_ROOT / "templates", "jinja2"),
    ):
        pattern = "**.py" if method == "python" else "**.html"
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(directory),
            method_map=[(pattern, method)],
            options_map={pattern: {"extensions": "jinja2.ext.do"}},
            keywords=KEYWORDS,
            # Babel skips folders starting with "_" by default; templates/_macros counts.
            directory_filter=lambda path: not Path(path).name.startswith("."),
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def catalogue():
    with Path(CATALOGUE).open("rb") as handle:
        return read_po(handle, locale="vi")


def test_every_interface_string_is_translated(catalogue):
    missing = sorted(
        msgid
        for msgid in _extracted()
        if msgid not in catalogue
        or not all(
            catalogue[msgid].string
            if isinstance(catalogue[msgid].string, tuple)
            else [catalogue[msgid].string]
        )
        or catalogue[msgid].fuzzy
    )
    assert missing == [], "untranslated: make extract-messages, then translate:\n" + "\n".join(
        missing
    )


def test_translations_keep_their_placeholders(catalogue):
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(source))
        wrong.extend(source for text in strings if set(PLACEHOLDER.findall(text)) != expected)
    assert wrong == []


def test_vietnamese_is_in_nfc(catalogue):
    import unicodedata

    for message in catalogue:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert unicodedata.is_normalized("NFC", text), message.id


def test_wtforms_messages_are_translated_and_formatted(app):
    from flask_babel import force_locale
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict
    from wtforms import StringField
    from wtforms.validators import DataRequired, Length

    class Probe(FlaskForm):
        class Meta:
            csrf = False

        name = StringField(validators=[DataRequired()])
        code = StringField(validators=[Length(max=3)])

    with app.test_request_context():
        with force_locale("vi"):
            form = Probe(formdata=MultiDict({"name": "", "code": "abcdef"}))
            form.validate()
        assert form.name.errors == ["Trường này là bắt buộc."]
        assert form.code.errors == ["Không được dài quá 3 ký tự."]
        with force_locale("en"):
            form = Probe(formdata=MultiDict({"name": "", "code": "abcdef"}))
            form.validate()
        assert form.code.errors == ["Field cannot be longer than 3 characters."]
