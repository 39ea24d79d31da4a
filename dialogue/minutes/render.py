"""Rendering a BB or TB: the HTML fragment the public page shows, and the PDF around it.

Both take the plain data of ``compose.document_context`` and touch no database. The PDF
is the very same fragment inside ``templates/minutes/pdf.html``, laid out by WeasyPrint
with the restricted fetcher of ``dialogue.documents.pdf`` (our static files, nothing else).
"""

from __future__ import annotations

import warnings

from flask import current_app
from markupsafe import Markup

from dialogue.documents.pdf import html_to_pdf
from dialogue.invitations.letters import qr_data_uri

FRAGMENTS = {"BB": "minutes/document_bb.html", "TB": "minutes/document_tb.html"}
PDF_PAGE = "minutes/pdf.html"
STYLESHEET = "css/minutes-document.css"
PDFA_VARIANT = "pdf/a-3u"


def _template(name: str):
    # Straight from the environment: no request needed (the CLI renders too), and no
    # context processors, whose globals a document must not depend on.
    return current_app.jinja_env.get_template(name)


def render_document_html(context: dict) -> str:
    """Render the document as an ``<article class="vn-document">`` fragment, text escaped."""
    return _template(FRAGMENTS[context["doc_type"]]).render(doc=context)


def render_pdf_page(context: dict) -> str:
    """The whole HTML page WeasyPrint lays out: the fragment, metadata, the verification block."""
    verification = context.get("verification")
    survey = context.get("survey")
    return _template(PDF_PAGE).render(
        doc=context,
        article=Markup(render_document_html(context)),
        qr_code=qr_data_uri(verification["url"]) if verification else None,
        survey_qr=qr_data_uri(survey["url"]) if survey else None,
    )


def render_document_pdf(context: dict, *, pdfa: bool = False) -> bytes:
    """Render the document to A4 PDF bytes; ``pdfa`` makes it PDF/A-3u for archiving."""
    html = render_pdf_page(context)
    if not pdfa:
        return html_to_pdf(html, stylesheets=(STYLESHEET,))
    with warnings.catch_warnings():
        # WeasyPrint 70 reads its bundled sRGB profile (the PDF/A output intent) from a file
        # it never closes; the leak is theirs and harmless, the warning would fail our tests.
        warnings.simplefilter("ignore", ResourceWarning)
        return html_to_pdf(html, stylesheets=(STYLESHEET,), pdf_variant=PDFA_VARIANT)
