"""The minutes (BB) and the conclusion notice (TB) of a conference, for staff.

Secretaries of the conference and organisers write and submit the drafts; the ward's chair
sends them back or approves and publishes them; the published versions are served from
their frozen bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import undefer

from dialogue.auth.access import role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.forms import show_error
from dialogue.core.scoping import get_scoped_or_404
from dialogue.documents.models import DocumentType
from dialogue.errors import DialogueError, InvalidTransition
from dialogue.extensions import db
from dialogue.minutes import operations, previews
from dialogue.minutes.compose import missing_parts
from dialogue.minutes.forms import DraftForm, PublishForm, ReturnForm
from dialogue.minutes.models import DraftStatus, MinutesDraft, PublishedDocument
from dialogue.minutes.operations import DraftConflict, DraftData

bp = Blueprint("minutes", __name__, url_prefix="/conferences/<int:conference_id>/minutes")
bp.record_once(lambda state: previews.init_app(state.app))

# Everyone who takes part in writing or approving reads the drafts and the versions.
READ_ROLES = (Role.SECRETARY, Role.ORGANISER, Role.CHAIR)
WRITE_ROLES = (Role.SECRETARY, Role.ORGANISER)
SLUGS = {DocumentType.MINUTES: "bb", DocumentType.NOTICE: "tb"}
TYPES = {slug: doc_type for doc_type, slug in SLUGS.items()}
DOC_TYPE = "<any(bb, tb):doc_type>"


# -- loading and authorising --------------------------------------------------------------------


def _conference(conference_id: int) -> Conference:
    return get_scoped_or_404(Conference, conference_id)


def _version(conference: Conference, document_id: int) -> PublishedDocument:
    document = db.session.get(PublishedDocument, document_id)
    if document is None or document.conference_id != conference.id:
        abort(404)
    return document


def _writer(conference: Conference) -> None:
    if not operations.may_write(conference, current_user):
        abort(403)


def _approver(conference: Conference) -> None:
    if not operations.may_approve(conference, current_user):
        abort(403)


def _to_overview(conference: Conference, doc_type: DocumentType | None = None):
    anchor = SLUGS[doc_type] if doc_type else None
    return redirect(url_for(".overview", conference_id=conference.id, _anchor=anchor))


def _refuse(conference: Conference, message: str, doc_type: DocumentType | None = None):
    flash(message, "error")
    return _to_overview(conference, doc_type)


@bp.url_defaults
def _slug_defaults(endpoint, values):
    doc_type = values.get("doc_type")
    if isinstance(doc_type, DocumentType):
        values["doc_type"] = SLUGS[doc_type]


# -- what the pages show ------------------------------------------------------------------------


@dataclass
class DocumentState:
    """One document of a conference as the overview shows it."""

    doc_type: DocumentType
    draft: MinutesDraft | None
    versions: list[PublishedDocument]

    @property
    def slug(self) -> str:
        return SLUGS[self.doc_type]

    @property
    def status(self) -> DraftStatus | None:
        return self.draft.status if self.draft else None

    @property
    def latest(self) -> PublishedDocument | None:
        return self.versions[-1] if self.versions else None

    @property
    def number_label(self) -> str:
        return self.versions[0].number_label if self.versions else ""


def document_states(conference: Conference) -> list[DocumentState]:
    drafts = operations.drafts_of(conference)
    versions = operations.versions_of(conference)
    return [
        DocumentState(
            doc_type=doc_type,
            draft=drafts[doc_type],
            versions=[v for v in versions if v.doc_type is doc_type],
        )
        for doc_type in operations.DOCUMENT_TYPES
    ]


@bp.app_template_global("minutes_panel")
def minutes_panel(conference: Conference) -> dict | None:
    """What the conference page says of its minutes; None when there is nothing to say yet."""
    if not current_user.is_authenticated or not current_user.has_role(*READ_ROLES):
        return None
    if conference.status not in operations.WRITABLE_STATES:
        return None
    return {
        "documents": document_states(conference),
        "deadline": operations.publication_deadlines([conference])[conference.id],
    }


def _overview_page(conference: Conference, *, return_forms=None, status: int = 200):
    states = document_states(conference)
    forms = return_forms or {}
    for state in states:
        forms.setdefault(state.slug, ReturnForm(formdata=None))
    return (
        render_template(
            "minutes/overview.html",
            conference=conference,
            documents=states,
            deadline=operations.publication_deadlines([conference])[conference.id],
            can_write=operations.may_write(conference, current_user),
            can_approve=operations.may_approve(conference, current_user),
            is_writable=conference.status in operations.WRITABLE_STATES,
            return_forms=forms,
        ),
        status,
    )


# -- the overview -------------------------------------------------------------------------------


@bp.route("/")
@role_required(*READ_ROLES)
def overview(conference_id: int):
    conference = _conference(conference_id)
    return _overview_page(conference)


# -- writing ------------------------------------------------------------------------------------


def _initial(conference: Conference, doc_type: DocumentType, draft: MinutesDraft | None) -> dict:
    if draft is not None:
        data, version = DraftData.of(draft), draft.version
    else:
        # The draft is saved with version 1: a form opened before it existed edits that one.
        data, version = operations.default_data(conference, doc_type), 1
    return {
        "opening": data.opening,
        "report_summary": data.report_summary,
        "conclusion": data.conclusion,
        "recipients": data.recipients,
        "turn_order": data.turn_order.value,
        "version": version,
    }


def _preview(conference: Conference, draft: MinutesDraft) -> str:
    return previews.preview_html(conference, draft)


@bp.route(f"/{DOC_TYPE}/edit", methods=["GET", "POST"])
@role_required(*WRITE_ROLES)
def edit(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = TYPES[doc_type]
    _writer(conference)
    draft = operations.find_draft(conference, kind)
    if request.method == "GET":
        try:
            operations.check_writable(conference)
            if draft is not None:
                operations.ensure_editable(draft)
        except DialogueError as error:
            return _refuse(conference, error.message, kind)
    form = DraftForm(
        data=_initial(conference, kind, draft) if request.method == "GET" else None,
        doc_type=kind,
    )
    conflict = None
    preview_html = None
    is_saved_preview = True
    status = 200
    if form.validate_on_submit():
        data = form.to_data()
        if request.form.get("action") == "preview":
            try:
                preview_html = _preview(
                    conference, operations.preview_draft(conference, kind, data)
                )
                is_saved_preview = False
            except DialogueError as error:
                show_error(form, error)
                status = 400
        else:
            try:
                draft = operations.get_or_create_draft(conference, kind, current_user)
                operations.update_draft(draft, data, current_user, form.version.data)
            except DraftConflict as error:
                db.session.rollback()
                conflict = error
                # Saving again now replaces their text with the one typed here, knowingly.
                form.version.data = error.version
                status = 409
            except DialogueError as error:
                show_error(form, error)
                status = 409 if isinstance(error, InvalidTransition) else 400
            else:
                db.session.commit()
                flash(_("The draft has been saved."), "success")
                return redirect(
                    url_for(".edit", conference_id=conference.id, doc_type=kind, _anchor="preview")
                )
    elif request.method == "POST":
        status = 400
    draft = operations.find_draft(conference, kind)
    if preview_html is None:
        shown = draft or operations.preview_draft(
            conference, kind, operations.default_data(conference, kind)
        )
        preview_html = _preview(conference, shown)
        is_saved_preview = draft is not None
    return (
        render_template(
            "minutes/edit.html",
            conference=conference,
            doc_type=kind,
            draft=draft,
            form=form,
            conflict=conflict,
            preview_html=preview_html,
            is_saved_preview=is_saved_preview,
            missing=missing_parts(conference, draft) if draft is not None else [],
        ),
        status,
    )


@bp.route(f"/{DOC_TYPE}/draft.pdf")
@role_required(*READ_ROLES)
def draft_pdf(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = TYPES[doc_type]
    draft = operations.find_draft(conference, kind)
    if draft is None:
        try:
            operations.check_writable(conference)
        except DialogueError as error:
            return _refuse(conference, error.message, kind)
        draft = operations.preview_draft(
            conference, kind, operations.default_data(conference, kind)
        )
    pdf = previews.preview_pdf(conference, draft)
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        download_name=f"du-thao-{kind.value}-{conference.id}.pdf",
        max_age=0,
    )


@bp.route(f"/{DOC_TYPE}/submit", methods=["POST"])
@role_required(*WRITE_ROLES)
def submit(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = TYPES[doc_type]
    _writer(conference)
    draft = operations.find_draft(conference, kind)
    if draft is None:
        return _refuse(conference, _("Write the draft and save it before submitting it."), kind)
    try:
        operations.submit_draft(draft, current_user)
    except DialogueError as error:
        db.session.rollback()
        return _refuse(conference, error.message, kind)
    db.session.commit()
    flash(_("The draft has been submitted to the chair for approval."), "success")
    return _to_overview(conference, kind)


# -- approving ----------------------------------------------------------------------------------


@bp.route(f"/{DOC_TYPE}/return", methods=["POST"])
@role_required(Role.CHAIR)
def send_back(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = TYPES[doc_type]
    _approver(conference)
    draft = operations.find_draft(conference, kind)
    form = ReturnForm()
    if draft is None:
        return _refuse(conference, _("Only a document submitted to the chair can be sent back."))
    if form.validate_on_submit():
        try:
            operations.return_to_draft(draft, current_user, form.reason.data)
        except InvalidTransition as error:
            db.session.rollback()
            return _refuse(conference, error.message, kind)
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The draft has been sent back to the secretaries for changes."), "success")
            return _to_overview(conference, kind)
    return _overview_page(conference, return_forms={SLUGS[kind]: form}, status=400)


@bp.route(f"/{DOC_TYPE}/publish", methods=["GET", "POST"])
@role_required(Role.CHAIR)
def publish(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = TYPES[doc_type]
    _approver(conference)
    draft = operations.find_draft(conference, kind)
    try:
        operations.check_writable(conference)
        operations.check_publishable(draft)
    except DialogueError as error:
        return _refuse(conference, error.message, kind)
    form = PublishForm()
    status = 200
    if form.validate_on_submit():
        try:
            published = operations.publish(
                draft,
                current_user,
                pdfa=form.pdfa.data,
                correction_reason=form.correction_reason.data or "",
            )
        except InvalidTransition as error:
            db.session.rollback()
            return _refuse(conference, error.message, kind)
        except DialogueError as error:
            show_error(form, error)
            status = 400
        else:
            db.session.commit()
            flash(
                _(
                    "Published: %(number)s, version %(version)s. Its PDF and HTML are frozen "
                    "and can be checked by their SHA-256.",
                    number=published.number_label,
                    version=published.version,
                ),
                "success",
            )
            return _to_overview(conference, kind)
    elif request.method == "POST":
        status = 400
    draft = operations.find_draft(conference, kind)
    latest = draft.latest
    return (
        render_template(
            "minutes/publish.html",
            conference=conference,
            doc_type=kind,
            draft=draft,
            latest=latest,
            form=form,
            missing=missing_parts(conference, draft),
            preview_html=_preview(conference, draft),
        ),
        status,
    )


@bp.route(f"/{DOC_TYPE}/correct", methods=["POST"])
@role_required(*READ_ROLES)
def correct(conference_id: int, doc_type: str):
    conference = _conference(conference_id)
    kind = TYPES[doc_type]
    if not (
        operations.may_write(conference, current_user)
        or operations.may_approve(conference, current_user)
    ):
        abort(403)
    draft = operations.find_draft(conference, kind)
    if draft is None:
        return _refuse(conference, _("Only a published document can be corrected."), kind)
    try:
        operations.start_correction(draft, current_user)
    except DialogueError as error:
        db.session.rollback()
        return _refuse(conference, error.message, kind)
    db.session.commit()
    flash(
        _(
            "The document is open for correction. Published version %(version)s stays as it "
            "is; the corrected text is published as version %(next)s with its reason.",
            version=draft.latest.version,
            next=draft.latest.version + 1,
        ),
        "success",
    )
    if operations.may_write(conference, current_user):
        return redirect(url_for(".edit", conference_id=conference.id, doc_type=kind))
    return _to_overview(conference, kind)


# -- published versions -------------------------------------------------------------------------


def _file_name(document: PublishedDocument, extension: str) -> str:
    number = document.number
    return (
        f"{document.doc_type.value}-{number.number:02d}-{number.year}"
        f"-v{document.version}.{extension}"
    )


@bp.route("/versions/<int:document_id>")
@role_required(*READ_ROLES)
def version(conference_id: int, document_id: int):
    conference = _conference(conference_id)
    document = _version(conference, document_id)
    return render_template(
        "minutes/version.html",
        conference=conference,
        document=document,
        public_url=operations.public_link(document.public_code),
    )


@bp.route("/versions/<int:document_id>.pdf")
@role_required(*READ_ROLES)
def version_pdf(conference_id: int, document_id: int):
    conference = _conference(conference_id)
    document = db.session.scalar(
        db.select(PublishedDocument)
        .options(undefer(PublishedDocument.pdf))
        .where(PublishedDocument.id == _version(conference, document_id).id)
    )
    response = send_file(
        io.BytesIO(document.pdf),
        mimetype="application/pdf",
        download_name=_file_name(document, "pdf"),
        etag=document.pdf_sha256,
        conditional=True,
        max_age=0,
    )
    return response


@bp.route("/versions/<int:document_id>.html")
@role_required(*READ_ROLES)
def version_html(conference_id: int, document_id: int):
    conference = _conference(conference_id)
    document = _version(conference, document_id)
    # The stored bytes exactly, so that their SHA-256 is the one published.
    response = Response(document.html.encode("utf-8"), mimetype="text/html")
    response.charset = "utf-8"
    response.set_etag(document.html_sha256)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_file_name(document, "html")}"'
    )
    return response.make_conditional(request)
