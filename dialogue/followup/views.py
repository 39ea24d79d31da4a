"""The staff side of the follow-up: the unit's queue and answers, the chair's decisions.

A responder sees the referrals of their units; organisers, secretaries and the chair see the
ward's. A referral outside what a user may see answers 404, as if it did not exist.
"""

from __future__ import annotations

import io

import sqlalchemy as sa
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
from markupsafe import Markup
from sqlalchemy.orm import undefer

from dialogue.archive import pagecache
from dialogue.auth.access import role_required
from dialogue.auth.models import Role, User, extra_unit_memberships
from dialogue.conferences.models import Conference
from dialogue.core.dates import vn_short_date
from dialogue.core.forms import show_error
from dialogue.core.locale import current_locale
from dialogue.core.scoping import current_ward
from dialogue.documents.downloads import content_disposition
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.followup import operations
from dialogue.followup.forms import (
    AnswerForm,
    ApproversForm,
    CorrectionForm,
    DecisionForm,
    ExtensionForm,
    HandoverForm,
    QueueFilterForm,
    ReviewForm,
    SubmitForm,
)
from dialogue.followup.listing import (
    followup_stamp,
    referrals_query,
    status_counts,
    ward_today,
    with_details,
)
from dialogue.followup.models import (
    AnswerStatus,
    Referral,
    ReferralRequest,
    ReferralStatus,
    RequestStatus,
    WrittenAnswer,
)
from dialogue.followup.operations import AnswerConflict
from dialogue.wards.models import Unit

bp = Blueprint("followup", __name__, url_prefix="/referrals")

STAFF_ROLES = (Role.RESPONDER, Role.ORGANISER, Role.SECRETARY, Role.CHAIR)
PER_PAGE = 50


# -- loading and authorising --------------------------------------------------------------------


def _referral(referral_id: int) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None or not operations.can_view(current_user, referral):
        abort(404)
    return referral


def _unit_ids(user: User) -> list[int] | None:
    """The units a responder's list is narrowed to; None for everyone else (the whole ward)."""
    if user.role is not Role.RESPONDER:
        return None
    # Read as ids, without loading the units: the list itself may be kept already.
    extra = db.session.scalars(
        sa.select(extra_unit_memberships.c.unit_id).where(
            extra_unit_memberships.c.user_id == user.id
        )
    )
    own = [user.unit_id] if user.unit_id else []
    return own + sorted(set(extra) - set(own))


def _conference_choices(ward) -> list[tuple[Conference, str]]:
    conferences = db.session.scalars(
        sa.select(Conference)
        .where(
            Conference.id.in_(sa.select(Referral.conference_id).where(Referral.ward_id == ward.id))
        )
        .order_by(Conference.start_dt.desc())
    ).all()
    return [
        (conference, _("Conference of %(date)s", date=vn_short_date(conference.held_start_dt)))
        for conference in conferences
    ]


def referral_counts(user: User) -> dict[str, int] | None:
    """What the overview says of the follow-up for ``user``: their queue or the ward's."""
    ward = current_ward()
    if ward is None or not user.has_role(*STAFF_ROLES):
        return None
    unit_ids = _unit_ids(user)
    counts = status_counts(ward, today=ward_today(ward), unit_ids=unit_ids)
    if user.can_approve_answers:
        counts["requests"] = db.session.scalar(
            sa.select(sa.func.count(ReferralRequest.id))
            .join(Referral, Referral.id == ReferralRequest.referral_id)
            .where(Referral.ward_id == ward.id, ReferralRequest.status == RequestStatus.PENDING)
        )
    return counts


bp.add_app_template_global(referral_counts, "referral_counts")


# -- the queue ----------------------------------------------------------------------------------


@bp.route("/")
@role_required(*STAFF_ROLES)
def queue():
    ward = current_ward()
    today = ward_today(ward)
    unit_ids = _unit_ids(current_user)
    # The list is the same for everyone of the same units, language and filters: it is kept,
    # and served again as long as nothing it shows has changed (the stamp, one query).
    stamp = followup_stamp(ward_id=ward.id)
    key = (
        "referral-queue",
        ward.id,
        tuple(unit_ids) if unit_ids is not None else None,
        current_locale(),
        tuple(sorted(request.args.items(multi=True))),
    )
    # The whole page is kept for each account too (its menu and name), its token put back.
    if (page := pagecache.kept_own_page(key, stamp)) is not None:
        return Response(page, mimetype="text/html")
    cache = pagecache.page_cache()
    # (No stamp for a ward an administrator works in after it was deactivated: not kept.)
    body = cache.get(key, stamp) if stamp is not None else None
    if body is None:
        body = pagecache.RenderedPage(title="", body=Markup(_queue_body(ward, today, unit_ids)))
        if stamp is not None:
            cache.put(key, stamp, body)
    html = render_template("followup/queue.html", body=body.body)
    return Response(pagecache.keep_own_page(key, stamp, html), mimetype="text/html")


def _queue_body(ward, today, unit_ids: list[int] | None) -> str:
    form = QueueFilterForm(request.args, conferences=_conference_choices(ward), units=ward.units)
    filters = form.to_filters()
    stmt = with_details(referrals_query(ward, filters, today=today, unit_ids=unit_ids))
    page = db.paginate(stmt, per_page=PER_PAGE, error_out=False)
    return render_template(
        "followup/_queue_body.html",
        form=form,
        filters=filters,
        page=page,
        today=today,
        counts=status_counts(ward, today=today, unit_ids=unit_ids),
        own_units=current_user.units if unit_ids is not None else None,
        args={key: value for key, value in request.args.items() if key != "page"},
        ReferralStatus=ReferralStatus,
    )


# -- one referral -------------------------------------------------------------------------------


def _answer_initial(referral: Referral) -> dict:
    answer = referral.working_answer or referral.published_answer
    if answer is None:
        return {"revision": ""}
    return {
        "body": answer.body,
        "letter_number": answer.letter_number,
        "letter_date": answer.letter_date,
        "revision": answer.revision if not answer.is_published else "",
    }


def _detail_page(referral: Referral, *, status: int = 200, **forms):
    can_answer = operations.can_answer(current_user, referral)
    can_review = operations.can_review(current_user, referral)
    working = referral.working_answer
    if can_answer:
        forms.setdefault("answer_form", AnswerForm(formdata=None, data=_answer_initial(referral)))
        forms.setdefault("extension_form", ExtensionForm(formdata=None, prefix="extension"))
        forms.setdefault(
            "handover_form",
            HandoverForm(
                formdata=None,
                prefix="handover",
                units=[
                    unit for unit in referral.ward.units if unit.is_active and unit != referral.unit
                ],
            ),
        )
    if can_answer or can_review:
        forms.setdefault("correction_form", CorrectionForm(formdata=None, prefix="correction"))
    if can_review:
        forms.setdefault("review_form", ReviewForm(formdata=None, prefix="review"))
        forms.setdefault("decision_form", DecisionForm(formdata=None, prefix="decision"))
    submit_form = None
    if can_answer and working is not None and working.status is not AnswerStatus.SUBMITTED:
        submit_form = SubmitForm(formdata=None, revision=working.revision)
    return (
        render_template(
            "followup/referral.html",
            referral=referral,
            turn=referral.turn,
            today=ward_today(referral.ward),
            working=working,
            published=referral.published_answers,
            can_answer=can_answer,
            can_review=can_review,
            submit_form=submit_form,
            AnswerStatus=AnswerStatus,
            ReferralStatus=ReferralStatus,
            RequestStatus=RequestStatus,
            **forms,
        ),
        status,
    )


def _to_referral(referral: Referral, anchor: str | None = None):
    return redirect(url_for(".referral", referral_id=referral.id, _anchor=anchor))


def _not_an_approver(referral: Referral):
    flash(
        _(
            "Only the chair, or an organiser the chair named, approves answers and decides requests."
        ),
        "error",
    )
    return _to_referral(referral)


@bp.route("/<int:referral_id>")
@role_required(*STAFF_ROLES)
def referral(referral_id: int):
    return _detail_page(_referral(referral_id))


def _uploaded_attachment(form: AnswerForm) -> operations.Attachment | None:
    upload = form.attachment.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data = upload.stream.read(operations.MAX_ATTACHMENT_BYTES + 1)
    return operations.check_attachment(upload.filename, data)


@bp.route("/<int:referral_id>/answer", methods=["POST"])
@role_required(Role.RESPONDER)
def save_answer(referral_id: int):
    referral = _referral(referral_id)
    if not operations.can_answer(current_user, referral):
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _detail_page(referral, status=400, answer_form=form)
    try:
        attachment = _uploaded_attachment(form)
        answer = operations.save_answer(
            referral,
            form.to_data(attachment),
            by=current_user,
            revision=form.revision_number(),
        )
        if form.send.data:
            operations.submit_answer(referral, by=current_user, revision=answer.revision)
    except AnswerConflict as error:
        db.session.rollback()
        form.body.errors = [*form.body.errors, error.message]
        # Saving again now replaces the saved text with the one typed here, knowingly.
        latest = referral.working_answer
        form.revision.data = str(latest.revision) if latest is not None else ""
        return _detail_page(referral, status=409, answer_form=form, conflict=latest)
    except DialogueError as error:
        show_error(form, error)
        return _detail_page(referral, status=400, answer_form=form)
    db.session.commit()
    if form.send.data:
        flash(_("The answer has been sent to the chair for approval."), "success")
    else:
        flash(_("The draft answer has been saved."), "success")
    return _to_referral(referral, "answer")


@bp.route("/<int:referral_id>/submit", methods=["POST"])
@role_required(Role.RESPONDER)
def submit_answer(referral_id: int):
    referral = _referral(referral_id)
    if not operations.can_answer(current_user, referral):
        abort(404)
    form = SubmitForm()
    if not form.validate_on_submit():
        flash(_("The page was out of date: check the answer and send it again."), "error")
        return _to_referral(referral, "answer")
    try:
        operations.submit_answer(referral, by=current_user, revision=form.revision.data)
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _to_referral(referral, "answer")
    db.session.commit()
    flash(_("The answer has been sent to the chair for approval."), "success")
    return _to_referral(referral, "answer")


@bp.route("/<int:referral_id>/review", methods=["POST"])
@role_required(Role.CHAIR, Role.ORGANISER)
def review_answer(referral_id: int):
    referral = _referral(referral_id)
    if not operations.can_review(current_user, referral):
        return _not_an_approver(referral)
    form = ReviewForm(prefix="review")
    if not form.validate_on_submit():
        return _detail_page(referral, status=400, review_form=form)
    try:
        if form.approve.data:
            operations.publish_answer(referral, by=current_user)
            message = _("The answer is approved and published.")
        else:
            operations.return_answer(referral, by=current_user, reason=form.reason.data)
            message = _("The answer has been sent back to the unit.")
    except DialogueError as error:
        show_error(form, error)
        return _detail_page(referral, status=400, review_form=form)
    db.session.commit()
    flash(message, "success")
    return _to_referral(referral, "answer")


@bp.route("/<int:referral_id>/correction", methods=["POST"])
@role_required(Role.RESPONDER, Role.CHAIR, Role.ORGANISER)
def start_correction(referral_id: int):
    referral = _referral(referral_id)
    form = CorrectionForm(prefix="correction")
    if not form.validate_on_submit():
        return _detail_page(referral, status=400, correction_form=form)
    try:
        operations.start_correction(referral, by=current_user, reason=form.reason.data)
    except DialogueError as error:
        show_error(form, error)
        return _detail_page(referral, status=400, correction_form=form)
    db.session.commit()
    flash(
        _("A correction has been started: the published answer stays until it is approved."),
        "success",
    )
    return _to_referral(referral, "answer")


@bp.route("/<int:referral_id>/extension", methods=["POST"])
@role_required(Role.RESPONDER)
def request_extension(referral_id: int):
    referral = _referral(referral_id)
    if not operations.can_answer(current_user, referral):
        abort(404)
    form = ExtensionForm(prefix="extension")
    if not form.validate_on_submit():
        return _detail_page(referral, status=400, extension_form=form)
    try:
        operations.request_extension(
            referral, by=current_user, new_due_date=form.new_due_date.data, reason=form.reason.data
        )
    except DialogueError as error:
        show_error(form, error)
        return _detail_page(referral, status=400, extension_form=form)
    db.session.commit()
    flash(_("The request has been sent to the chair."), "success")
    return _to_referral(referral, "requests")


@bp.route("/<int:referral_id>/handover", methods=["POST"])
@role_required(Role.RESPONDER)
def request_handover(referral_id: int):
    referral = _referral(referral_id)
    if not operations.can_answer(current_user, referral):
        abort(404)
    units = [unit for unit in referral.ward.units if unit.is_active and unit != referral.unit]
    form = HandoverForm(units=units, prefix="handover")
    if not form.validate_on_submit():
        return _detail_page(referral, status=400, handover_form=form)
    try:
        operations.request_handover(
            referral,
            by=current_user,
            to_unit=db.session.get(Unit, form.to_unit.data) if form.to_unit.data else None,
            reason=form.reason.data,
        )
    except DialogueError as error:
        show_error(form, error)
        return _detail_page(referral, status=400, handover_form=form)
    db.session.commit()
    flash(_("The request has been sent to the chair."), "success")
    return _to_referral(referral, "requests")


@bp.route("/<int:referral_id>/requests/<int:request_id>", methods=["POST"])
@role_required(Role.CHAIR, Role.ORGANISER)
def decide_request(referral_id: int, request_id: int):
    referral = _referral(referral_id)
    if not operations.can_review(current_user, referral):
        return _not_an_approver(referral)
    unit_request = db.session.get(ReferralRequest, request_id)
    if unit_request is None or unit_request.referral_id != referral.id:
        abort(404)
    form = DecisionForm(prefix="decision")
    if not form.validate_on_submit():
        return _detail_page(referral, status=400, decision_form=form)
    try:
        operations.decide_request(
            unit_request, by=current_user, accept=bool(form.accept.data), note=form.note.data
        )
    except DialogueError as error:
        show_error(form, error)
        return _detail_page(referral, status=400, decision_form=form)
    db.session.commit()
    flash(_("The decision has been recorded."), "success")
    return _to_referral(referral, "requests")


@bp.route("/<int:referral_id>/answers/<int:answer_id>/letter.pdf")
@role_required(*STAFF_ROLES)
def attachment(referral_id: int, answer_id: int):
    referral = _referral(referral_id)
    answer = db.session.scalar(
        sa.select(WrittenAnswer)
        .where(WrittenAnswer.id == answer_id, WrittenAnswer.referral_id == referral.id)
        .options(undefer(WrittenAnswer.attachment_pdf))
    )
    if answer is None or not answer.has_attachment:
        abort(404)
    response = send_file(io.BytesIO(answer.attachment_pdf), mimetype="application/pdf", max_age=0)
    # Opened in the browser's PDF reader; saved under its own name.
    response.headers["Content-Disposition"] = content_disposition(
        answer.attachment_filename
    ).replace("attachment;", "inline;", 1)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- the chair's deputies -----------------------------------------------------------------------


@bp.route("/approvers", methods=["GET", "POST"])
@role_required(Role.CHAIR)
def approvers():
    ward = current_ward()
    organisers = db.session.scalars(
        sa.select(User)
        .where(User.ward_id == ward.id, User.role == Role.ORGANISER, User.is_active)
        .order_by(User.display_name)
    ).all()
    form = ApproversForm(
        data=None
        if request.method == "POST"
        else {"organisers": [user.id for user in organisers if user.approves_answers]}
    )
    form.organisers.choices = [(user.id, user.display_name) for user in organisers]
    if form.validate_on_submit():
        operations.set_answer_approvers(ward.id, set(form.organisers.data or []), by=current_user)
        db.session.commit()
        flash(_("Saved: these organisers may approve written answers."), "success")
        return redirect(url_for(".approvers"))
    return render_template(
        "followup/approvers.html", form=form, organisers=organisers
    ), 400 if request.method == "POST" else 200
