"""Let WTForms' own messages speak the user's language through our catalogue.

WTForms ships no Vietnamese catalogue, so its built-in messages ("This field is required.")
would stay English. Forms here take their translations from Flask-Babel instead, and the
messages are listed below so that extraction puts them in our catalogue.
"""

from flask_babel import get_translations, lazy_gettext, lazy_ngettext
from flask_wtf import FlaskForm


class BabelTranslations:
    """The translations object WTForms asks for, answered by Flask-Babel's catalogue.

    WTForms fills the placeholders itself, so the strings go back unformatted.
    """

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


def install() -> None:
    FlaskForm.Meta.get_translations = lambda self, form: BabelTranslations()


# The messages WTForms (3.3) and Flask-WTF produce, for extraction only.
WTFORMS_MESSAGES = (
    lazy_gettext("This field is required."),
    lazy_gettext("Invalid input."),
    lazy_gettext("Invalid email address."),
    lazy_gettext("Invalid URL."),
    lazy_gettext("Field must be equal to %(other_name)s."),
    lazy_gettext("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        1,
    ),
    lazy_ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        1,
    ),
    lazy_ngettext(
        "Field must be exactly %(max)d character long.",
        "Field must be exactly %(max)d characters long.",
        1,
    ),
    lazy_gettext("Number must be at least %(min)s."),
    lazy_gettext("Number must be at most %(max)s."),
    lazy_gettext("Number must be between %(min)s and %(max)s."),
    lazy_gettext("Date must be at least %(min)s."),
    lazy_gettext("Date must be at most %(max)s."),
    lazy_gettext("Date must be between %(min)s and %(max)s."),
    lazy_gettext("Not a valid choice."),
    lazy_gettext("Invalid Choice: could not coerce."),
    lazy_ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        1,
    ),
    lazy_gettext("Invalid value, must be one of: %(values)s."),
    lazy_gettext("Invalid value, can't be any of: %(values)s."),
    lazy_gettext("Not a valid integer value."),
    lazy_gettext("Not a valid decimal value."),
    lazy_gettext("Not a valid float value."),
    lazy_gettext("Not a valid date value."),
    lazy_gettext("Not a valid datetime value."),
    lazy_gettext("Not a valid time value."),
    lazy_gettext("Not a valid week value."),
    lazy_gettext("This field is disabled and cannot have a value."),
    lazy_gettext("The CSRF token is missing."),
    lazy_gettext("The CSRF token has expired."),
    lazy_gettext("The CSRF token is invalid."),
    lazy_gettext("The CSRF tokens do not match."),
    lazy_gettext("The referrer header is missing."),
    lazy_gettext("The referrer does not match the host."),
)
