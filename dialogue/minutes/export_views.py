"""Downloads for the ward's staff: the turns as a spreadsheet, the minutes as a Word file."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.scoping import get_scoped_or_404
from dialogue.documents.csv import COMMA, SEMICOLON
from dialogue.documents.downloads import content_disposition, dated_filename
from dialogue.documents.models import DocumentType
from dialogue.minutes import exports

bp = Blueprint("exports", __name__, url_prefix="/conferences/<int:conference_id>/exports")

# Those who prepare, record and approve the documents; responders answer questions only.
EXPORT_ROLES = (Role.ORGANISER, Role.SECRETARY, Role.CHAIR)
DOC_TYPES = {"bb": DocumentType.MINUTES, "tb": DocumentType.NOTICE}
TURNS_STEM = "luot-phat-bieu"
DOCX_STEMS = {DocumentType.MINUTES: "bien-ban", DocumentType.NOTICE: "thong-bao-ket-luan"}


@bp.app_template_global("can_export")
def can_export(conference: Conference) -> bool:
    """Tell whether the signed-in user may download this conference's exports."""
    user = current_user
    return (
        user.is_authenticated
        and user.has_role(*EXPORT_ROLES)
        and (user.is_admin or user.ward_id == conference.ward_id)
    )


def _conference(conference_id: int) -> Conference:
    return get_scoped_or_404(Conference, conference_id)


def _filename(stem: str, conference: Conference, extension: str) -> str:
    return dated_filename(stem, conference.start_local.date(), extension)


def _include_withdrawn() -> bool:
    return request.args.get("withdrawn", "") in {"1", "true", "yes", "on"}


def _download(content: bytes, content_type: str, filename: str) -> Response:
    # The type as given, charset included once (``mimetype=`` would add a second one).
    response = Response(content, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(filename)
    # Personal data of residents: neither shared caches nor the browser keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/turns.xlsx")
@role_required(*EXPORT_ROLES)
def turns_xlsx(conference_id: int):
    conference = _conference(conference_id)
    content = exports.turns_xlsx(conference, include_withdrawn=_include_withdrawn())
    filename = _filename(TURNS_STEM, conference, "xlsx")
    return _download(content, exports.XLSX_MIMETYPE, filename)


@bp.route("/turns.csv")
@role_required(*EXPORT_ROLES)
def turns_csv(conference_id: int):
    conference = _conference(conference_id)
    # ?sep=semicolon: the form Excel opens by double-click with Vietnamese regional settings.
    delimiter = SEMICOLON if request.args.get("sep") == "semicolon" else COMMA
    content = exports.turns_csv(
        conference, include_withdrawn=_include_withdrawn(), delimiter=delimiter
    )
    # The two forms have names of their own: a clerk who downloads both can tell them apart.
    stem = TURNS_STEM + ("-excel-tieng-viet" if delimiter == SEMICOLON else "")
    return _download(content, exports.CSV_MIMETYPE, _filename(stem, conference, "csv"))


@bp.route("/<doc_type>.docx")
@role_required(*EXPORT_ROLES)
def minutes_docx(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = DOC_TYPES.get(doc_type)
    if kind is None:
        abort(404)
    content = exports.minutes_docx(conference, kind)
    filename = _filename(DOCX_STEMS[kind], conference, "docx")
    return _download(content, exports.DOCX_MIMETYPE, filename)
