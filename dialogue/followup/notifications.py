"""The mail the follow-up causes, written to the outbox in the same transaction as the change.

Units hear of a question referred to them, and every morning of what falls due or is overdue
(one digest a person, not one mail an item); the chair hears of an answer to approve; a
resident who left an e-mail address with consent hears that the answer is published.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.orm import joinedload, selectinload

from dialogue.auth.models import Role, User
from dialogue.conferences.models import Conference
from dialogue.core.dates import vn_short_date
from dialogue.core.db import utcnow
from dialogue.extensions import db
from dialogue.followup.listing import ward_today
from dialogue.followup.models import (
    Referral,
    ReferralRequest,
    RequestKind,
    RequestStatus,
    WrittenAnswer,
)
from dialogue.live.models import Turn
from dialogue.mail.models import MailReason, OutboxMessage
from dialogue.mail.operations import queue_mail
from dialogue.questions.models import ResidentQuestion
from dialogue.wards.models import Unit, Ward

# The morning digest warns of what falls due within this many days.
DUE_SOON_DAYS = 3


def absolute_url(endpoint: str, **values) -> str:
    """An address a mail can carry: on the public site when it is configured."""
    if not has_request_context():
        with urls_outside_requests():
            return absolute_url(endpoint, **values)
    base = (current_app.config.get("DIALOGUE_PUBLIC_URL") or "").strip().rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@contextlib.contextmanager
def urls_outside_requests():
    """Let a worker or a command build addresses: a request to the public site, once."""
    if has_request_context():
        yield
        return
    base = (current_app.config.get("DIALOGUE_PUBLIC_URL") or "").strip().rstrip("/")
    with current_app.test_request_context(base_url=base or "http://127.0.0.1:5000"):
        yield


def _item(referral: Referral, today: date) -> dict:
    turn = referral.turn
    return {
        "question": " ".join(turn.question.split())[:300],
        "conference_date": vn_short_date(referral.conference.held_start_dt),
        "unit": referral.unit.name if referral.unit else "",
        "due_date": vn_short_date(referral.due_date),
        "days_overdue": referral.days_overdue(today),
        "days_left": referral.days_left(today),
        "status": str(referral.status.title),
        "url": absolute_url("followup.referral", referral_id=referral.id),
    }


def _unit_users(units: list[Unit]) -> list[User]:
    """Active accounts with an address that answer for any of ``units``."""
    if not units:
        return []
    ids = [unit.id for unit in units]
    users = db.session.scalars(
        sa.select(User)
        .where(User.is_active, User.email != "", User.role == Role.RESPONDER)
        .where(
            sa.or_(
                User.unit_id.in_(ids),
                User.extra_units.any(Unit.id.in_(ids)),
            )
        )
        .options(selectinload(User.extra_units))
        .order_by(User.id)
    ).all()
    return list(users)


def _approvers(ward_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.ward_id == ward_id, User.is_active, User.email != "")
            .where(
                sa.or_(
                    User.role == Role.CHAIR,
                    sa.and_(User.role == Role.ORGANISER, User.approves_answers),
                )
            )
            .order_by(User.id)
        )
    )


# -- a question referred to a unit ---------------------------------------------------------------


def tell_units_of_referrals(conference: Conference) -> None:
    """At the close of ``conference``, tell each unit what was referred to it."""
    referrals = db.session.scalars(
        sa.select(Referral)
        .where(Referral.conference_id == conference.id, Referral.unit_id.is_not(None))
        .options(joinedload(Referral.unit), joinedload(Referral.turn))
        .order_by(Referral.id)
    ).all()
    by_unit: dict[Unit, list[Referral]] = defaultdict(list)
    for referral in referrals:
        by_unit[referral.unit].append(referral)
    for unit, items in by_unit.items():
        _tell_unit(unit, items, key=f"referred:conference:{conference.id}")


def _tell_unit(unit: Unit, referrals: list[Referral], *, key: str) -> None:
    ward = unit.ward
    today = ward_today(ward)
    items = [_item(referral, today) for referral in referrals]
    for user in _unit_users([unit]):
        queue_mail(
            to=user.email,
            subject=f"[{ward.full_name}] {len(items)} câu hỏi chuyển {unit.name} trả lời bằng văn bản",
            template="referred_to_unit",
            context={"user": user, "unit_name": unit.name, "items": items},
            reason=MailReason.REFERRED_TO_UNIT,
            ward=ward,
            dedupe_key=f"{key}:unit:{unit.id}:user:{user.id}",
        )


def request_decided(request: ReferralRequest) -> None:
    """A hand-over the chair accepted: the new unit hears of the question."""
    if (
        request.kind is RequestKind.HANDOVER
        and request.status is RequestStatus.ACCEPTED
        and request.to_unit is not None
    ):
        _tell_unit(request.to_unit, [request.referral], key=f"handover:{request.id}")


# -- an answer to approve ------------------------------------------------------------------------


def answer_submitted(answer: WrittenAnswer) -> None:
    referral = answer.referral
    ward = referral.ward
    context = {
        "item": _item(referral, ward_today(ward)),
        "answer": answer,
        "writer": answer.submitted_by.display_name if answer.submitted_by else "",
        "is_correction": answer.version > 1,
    }
    for user in _approvers(referral.ward_id):
        queue_mail(
            to=user.email,
            subject=f"[{ward.full_name}] Câu trả lời chờ duyệt: {context['item']['question'][:80]}",
            template="awaiting_approval",
            context={**context, "user": user},
            reason=MailReason.AWAITING_APPROVAL,
            ward=ward,
            dedupe_key=f"approval:{answer.id}:{answer.revision}:user:{user.id}",
        )


# -- the answer published: the people who asked are told ----------------------------------------


def _askers(turn: Turn) -> list[ResidentQuestion]:
    """The residents' questions taken up as ``turn`` (directly or merged into one that was)."""
    direct = sa.select(ResidentQuestion.id).where(ResidentQuestion.turn_id == turn.id)
    return list(
        db.session.scalars(
            sa.select(ResidentQuestion)
            .where(
                sa.or_(
                    ResidentQuestion.turn_id == turn.id,
                    ResidentQuestion.merged_into_id.in_(direct),
                ),
                ResidentQuestion.has_contact_consent,
                ResidentQuestion.contact.contains("@"),
            )
            .order_by(ResidentQuestion.id)
        )
    )


def answer_published(answer: WrittenAnswer) -> None:
    referral = answer.referral
    ward = referral.ward
    item = _item(referral, ward_today(ward))
    public_url = absolute_url("public.referral", ward_slug=ward.slug, referral_id=referral.id)
    for question in _askers(referral.turn):
        follow_url = absolute_url(
            "questions.follow", ward_slug=ward.slug, token=question.follow_token
        )
        queue_mail(
            to=question.contact,
            subject=f"[{ward.full_name}] Câu hỏi của bạn đã được trả lời",
            template="answer_published",
            context={
                "item": item,
                "answer": answer,
                "public_url": public_url,
                "follow_url": follow_url,
                "is_correction": answer.version > 1,
            },
            reason=MailReason.ANSWER_PUBLISHED,
            ward=ward,
            dedupe_key=f"published:{answer.id}:question:{question.id}",
        )


# -- the morning digest --------------------------------------------------------------------------


def queue_daily_digests(now: datetime | None = None) -> int:
    """Queue one digest per person with something due soon or overdue; return how many.

    Run every morning by the worker; running it twice the same day queues nothing more.
    """
    now = now or utcnow()
    wards = db.session.scalars(sa.select(Ward).where(Ward.is_active)).all()
    todays = {ward.id: ward_today(ward, now) for ward in wards}
    if not todays:
        return 0
    horizon = max(todays.values()) + timedelta(days=DUE_SOON_DAYS)
    referrals = db.session.scalars(
        sa.select(Referral)
        .where(
            Referral.ward_id.in_(todays),
            Referral.answered_on.is_(None),
            Referral.due_date <= horizon,
        )
        .options(
            joinedload(Referral.unit),
            joinedload(Referral.turn),
            joinedload(Referral.conference),
        )
        .order_by(Referral.due_date, Referral.id)
    ).all()
    by_ward: dict[int, list[Referral]] = defaultdict(list)
    for referral in referrals:
        today = todays[referral.ward_id]
        if referral.due_date <= today + timedelta(days=DUE_SOON_DAYS):
            by_ward[referral.ward_id].append(referral)
    # Those who already have today's digest (the job ran earlier this morning) are skipped
    # before anything is composed for them.
    sent = set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(
                OutboxMessage.reason == MailReason.DUE_DIGEST,
                OutboxMessage.created_dt >= now - timedelta(days=2),
            )
        )
    )
    queued = 0
    wards_by_id = {ward.id: ward for ward in wards}
    with urls_outside_requests():
        for ward_id, items in by_ward.items():
            queued += _ward_digests(wards_by_id[ward_id], items, todays[ward_id], sent)
    return queued


def _digest_key(user: User, today: date) -> str:
    return f"digest:{user.id}:{today.isoformat()}"


def _ward_digests(ward: Ward, referrals: list[Referral], today: date, sent: set[str]) -> int:
    queued = 0
    units = {referral.unit for referral in referrals if referral.unit is not None}
    for user in _unit_users(sorted(units, key=lambda unit: unit.id)):
        if _digest_key(user, today) in sent:
            continue
        mine = [referral for referral in referrals if referral.unit in user.units]
        queued += _digest(ward, user, mine, today, is_chair=False)
    overdue = [referral for referral in referrals if referral.is_overdue(today)]
    for user in _approvers(ward.id):
        if user.role is Role.CHAIR and _digest_key(user, today) not in sent:
            queued += _digest(ward, user, overdue, today, is_chair=True)
    return queued


def _digest(ward: Ward, user: User, referrals: list[Referral], today: date, *, is_chair) -> int:
    if not referrals:
        return 0
    items = [_item(referral, today) for referral in referrals]
    overdue = [item for item in items if item["days_overdue"]]
    soon = [item for item in items if not item["days_overdue"]]
    if overdue:
        subject = f"[{ward.full_name}] {len(overdue)} câu hỏi quá hạn trả lời"
        if soon:
            subject += f", {len(soon)} câu hỏi sắp đến hạn"
    else:
        subject = f"[{ward.full_name}] {len(soon)} câu hỏi sắp đến hạn trả lời"
    message = queue_mail(
        to=user.email,
        subject=subject,
        template="due_digest",
        context={
            "user": user,
            "overdue": overdue,
            "soon": soon,
            "today": vn_short_date(today),
            "is_chair": is_chair,
            "unit_name": ", ".join(unit.name for unit in user.units) if not is_chair else "",
            "queue_url": absolute_url("followup.queue"),
        },
        reason=MailReason.DUE_DIGEST,
        ward=ward,
        dedupe_key=_digest_key(user, today),
    )
    return 1 if message is not None else 0
