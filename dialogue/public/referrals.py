"""What residents see of referred questions: the ward's follow-up page, one referral, its file.

Everything here reads; nothing writes. Only referrals of conferences residents may follow
(``listing.public_conference_ids``) are found, and of each only what is public: the question
with the speaker as residents see them (``Turn.public_speaker``: named only where the ward
chose so), the unit, the due date, the status and the published versions of the answer.
Drafts, answers waiting for the chair, return reasons and the units' requests stay inside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from dialogue.archive import operations as archive
from dialogue.conferences.models import Conference
from dialogue.extensions import db
from dialogue.followup import listing
from dialogue.followup.listing import (
    OVERDUE,
    STATUS_FILTERS,
    ReferralFilters,
    public_conference_ids,
    referrals_query,
    with_details,
)
from dialogue.followup.models import (
    AnswerStatus,
    Referral,
    ReferralStatus,
    Timeliness,
    WrittenAnswer,
)
from dialogue.live.models import Turn
from dialogue.minutes.compose import turn_numbers
from dialogue.minutes.models import PublishedDocument
from dialogue.wards.models import ProcedureArea, Unit, Ward

PER_PAGE = 50
QUERY_MAX_CHARS = 200
# Where a link to one referral lands on a page listing several: "#kien-nghi-12".
ANCHOR = "kien-nghi-{id}"
# The follow-up section of a conference's published minutes page.
SECTION_ANCHOR = "theo-doi-kien-nghi"


def status_title(status: ReferralStatus | str) -> str:
    """What residents call a status, or the computed "overdue" of the filter."""
    if status == OVERDUE:
        return str(Timeliness.OVERDUE.title)
    return str(ReferralStatus(status).title)


# -- one referral as residents see it ---------------------------------------------------------


@dataclass
class PublicReferral:
    """One referral with what a public page shows of it, computed for ``today``."""

    referral: Referral
    today: date
    # The conference's newest published minutes (or notice), to link to; None before then.
    document: PublishedDocument | None = None
    # The turn's number in the minutes (withdrawn turns left out), as every page gives it.
    number: int = 0

    @property
    def id(self) -> int:
        return self.referral.id

    @property
    def anchor(self) -> str:
        return ANCHOR.format(id=self.referral.id)

    @property
    def turn(self) -> Turn:
        return self.referral.turn

    @property
    def conference(self) -> Conference:
        return self.referral.conference

    @property
    def speaker(self) -> str:
        return self.turn.public_speaker

    @property
    def group_name(self) -> str:
        return self.turn.speaker_group.name if self.turn.speaker_group else ""

    @property
    def area(self) -> ProcedureArea | None:
        return self.turn.procedure_area

    @property
    def unit(self) -> Unit | None:
        return self.referral.unit

    @property
    def due_date(self) -> date:
        return self.referral.due_date

    @property
    def original_due_date(self) -> date | None:
        """The due date the conference set, when it has since been moved (an extension)."""
        decided = self.turn.referral_due_date
        return decided if decided and decided != self.referral.due_date else None

    @property
    def status(self) -> ReferralStatus:
        return self.referral.status

    @property
    def status_title(self) -> str:
        return status_title(self.referral.status)

    @property
    def timeliness(self) -> Timeliness:
        return self.referral.timeliness(self.today)

    @property
    def days_overdue(self) -> int:
        return self.referral.days_overdue(self.today)

    @property
    def days_left(self) -> int:
        return self.referral.days_left(self.today)

    @property
    def published(self) -> list[WrittenAnswer]:
        """Every published version of the answer, the newest first; nothing else, ever."""
        return list(reversed(self.referral.published_answers))

    @property
    def answer(self) -> WrittenAnswer | None:
        published = self.published
        return published[0] if published else None

    @property
    def earlier(self) -> list[WrittenAnswer]:
        """The published versions a correction replaced, the newest first."""
        return self.published[1:]


def _documents(conference_ids: Sequence[int]) -> dict[int, PublishedDocument]:
    """For each conference, the newest version of its minutes (or of its notice, if alone)."""
    by_conference = archive.latest_documents_by_conference(sorted(set(conference_ids)))
    return {conference_id: docs[0] for conference_id, docs in by_conference.items() if docs}


def _public(referrals: Sequence[Referral], today: date) -> list[PublicReferral]:
    conference_ids = {r.conference_id for r in referrals}
    documents = _documents(sorted(conference_ids))
    numbers = turn_numbers(conference_ids) if conference_ids else {}
    return [
        PublicReferral(
            r, today, documents.get(r.conference_id), numbers.get(r.turn_id, r.turn.position)
        )
        for r in referrals
    ]


def find_referral(ward: Ward, referral_id: int, *, today: date) -> PublicReferral | None:
    """A referral of ``ward`` residents may follow; None for any other."""
    stmt = with_details(
        sa.select(Referral).where(
            Referral.id == referral_id,
            Referral.ward_id == ward.id,
            Referral.conference_id.in_(public_conference_ids(ward)),
        )
    )
    referral = db.session.scalar(stmt)
    return _public([referral], today)[0] if referral is not None else None


@dataclass
class ConferenceFollowUp:
    """The referrals of one conference, in speaking order, and how many are answered or late."""

    items: list[PublicReferral]

    @property
    def answered(self) -> int:
        return sum(1 for item in self.items if item.referral.answered_on is not None)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.timeliness is Timeliness.OVERDUE)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def of_conference(conference: Conference, *, today: date) -> ConferenceFollowUp:
    """The referrals of ``conference`` residents may follow, in speaking order."""
    filters = ReferralFilters(conference_id=conference.id)
    stmt = with_details(referrals_query(conference.ward, filters, today=today, public=True))
    items = _public(list(db.session.scalars(stmt)), today)
    return ConferenceFollowUp(sorted(items, key=lambda item: (item.number, item.id)))


def of_turn(turn: Turn | None, *, today: date) -> PublicReferral | None:
    """The referral of a turn shown on its sender's private page, if it is followed publicly."""
    if turn is None or turn.is_withdrawn or turn.referral is None:
        return None
    return find_referral(turn.conference.ward, turn.referral.id, today=today)


# -- the ward's follow-up page ----------------------------------------------------------------


@dataclass
class FilterOptions:
    """The choices the page offers: only those some public referral has."""

    conferences: list[Conference]
    units: list[Unit]
    areas: list[ProcedureArea]


def filter_options(ward: Ward) -> FilterOptions:
    followed = (
        sa.select(Referral.conference_id, Referral.unit_id, Referral.turn_id)
        .where(Referral.ward_id == ward.id, Referral.conference_id.in_(public_conference_ids(ward)))
        .subquery()
    )
    conferences = db.session.scalars(
        sa.select(Conference)
        .where(Conference.id.in_(sa.select(followed.c.conference_id)))
        .order_by(Conference.start_dt.desc(), Conference.id.desc())
    )
    units = db.session.scalars(
        sa.select(Unit)
        .where(Unit.id.in_(sa.select(followed.c.unit_id)))
        .order_by(Unit.name, Unit.id)
    )
    areas = db.session.scalars(
        sa.select(ProcedureArea)
        .where(
            ProcedureArea.id.in_(
                sa.select(Turn.procedure_area_id).where(Turn.id.in_(sa.select(followed.c.turn_id)))
            )
        )
        .order_by(ProcedureArea.position, ProcedureArea.id)
    )
    return FilterOptions(list(conferences), list(units), list(areas))


def _chosen(args: Mapping, name: str, allowed: set[int]) -> int | None:
    try:
        value = int(args.get(name) or 0)
    except ValueError:
        return None
    return value if value in allowed else None


def filters_from(args: Mapping, options: FilterOptions) -> ReferralFilters:
    """The filters of a request's query string; a value the page does not offer is ignored."""
    status = args.get("status") or ""
    return ReferralFilters(
        conference_id=_chosen(args, "conference", {c.id for c in options.conferences}),
        unit_id=_chosen(args, "unit", {u.id for u in options.units}),
        area_id=_chosen(args, "area", {a.id for a in options.areas}),
        status=status if status in STATUS_FILTERS else "",
        text=(args.get("q") or "").strip()[:QUERY_MAX_CHARS],
    )


def query_args(filters: ReferralFilters, **changes) -> dict:
    """The query string of ``filters`` (with ``changes``), for links that keep the others."""
    values = {
        "conference": filters.conference_id,
        "unit": filters.unit_id,
        "area": filters.area_id,
        "status": filters.status,
        "q": filters.text,
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value}


def status_counts(ward: Ward, filters: ReferralFilters, *, today: date) -> dict[str, int]:
    """How many of the ward's public referrals each status filter would show."""
    return listing.status_counts(ward, filters, today=today, public=True)


def referral_page(
    ward: Ward, filters: ReferralFilters, *, today: date, page: int = 1
) -> archive.Page:
    """A page of the ward's public referrals kept by ``filters``, the most urgent first."""
    stmt = with_details(referrals_query(ward, filters, today=today, public=True))
    found = db.paginate(
        stmt, page=archive.clamp_page(page), per_page=PER_PAGE, error_out=False, count=True
    )
    return archive.Page(
        items=_public(list(found.items), today),
        page=found.page,
        per_page=PER_PAGE,
        total=found.total or 0,
    )


# -- the signed reply letter -------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentFile:
    answer_id: int
    sha256: str
    size: int
    filename: str


def find_attachment(ward: Ward, referral_id: int, version: int) -> AttachmentFile | None:
    """What is known of a published answer's signed PDF, without its bytes; None if not public."""
    row = db.session.execute(
        sa.select(WrittenAnswer.id, WrittenAnswer.attachment_sha256, WrittenAnswer.attachment_size)
        .join(Referral, Referral.id == WrittenAnswer.referral_id)
        .where(
            WrittenAnswer.referral_id == referral_id,
            WrittenAnswer.version == version,
            WrittenAnswer.status == AnswerStatus.PUBLISHED,
            WrittenAnswer.attachment_sha256 != "",
            Referral.ward_id == ward.id,
            Referral.conference_id.in_(public_conference_ids(ward)),
        )
    ).first()
    if row is None:
        return None
    suffix = f"-v{version}" if version > 1 else ""
    return AttachmentFile(
        answer_id=row.id,
        sha256=row.attachment_sha256,
        size=row.attachment_size,
        filename=f"tra-loi-kien-nghi-{referral_id}{suffix}.pdf",
    )


def attachment_bytes(file: AttachmentFile) -> bytes | None:
    """The bytes of the signed PDF (a deferred column, read only here)."""
    return db.session.scalar(
        sa.select(WrittenAnswer.attachment_pdf).where(WrittenAnswer.id == file.answer_id)
    )
