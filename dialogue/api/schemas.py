"""What the API reads and answers, as pydantic models: the OpenAPI document is generated from them.

Query models forbid fields they do not know (a misspelt filter is an error, not ignored) and
bound every value (a page holds at most ``MAX_LIMIT`` items). Response models carry nothing
the public pages do not show: speakers as residents see them, no phone, no e-mail, no account.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dialogue.conferences.models import ConferenceStatus
from dialogue.documents.models import DocumentType
from dialogue.followup.models import ReferralStatus, Timeliness
from dialogue.live.models import TurnOutcome
from dialogue.stats.forms import FIRST_YEAR, MAX_DAYS
from dialogue.wards.models import WardKind

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
CURSOR_MAX_CHARS = 200
# The statistics page's bounds; the last year is fixed here, as a document's schema must be.
LAST_YEAR = 2100

Text = Annotated[str, Field(max_length=100)]


class Query(BaseModel):
    """Every query string: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageQuery(Query):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    cursor: str | None = Field(
        None,
        max_length=CURSOR_MAX_CHARS,
        description="Where the page starts: the `next_cursor` of the page before. Opaque.",
    )


class WardQuery(PageQuery):
    q: Text | None = Field(
        None, description="Part of the ward's name or province; accents and đ ignored."
    )


# The states residents see: a draft is never public.
PublicStatus = StrEnum(
    "PublicStatus", {s.name: s.value for s in ConferenceStatus if s is not ConferenceStatus.DRAFT}
)


class ConferenceQuery(PageQuery):
    year: int | None = Field(
        None, ge=FIRST_YEAR, le=LAST_YEAR, description="Conferences held in this year."
    )
    status: PublicStatus | None = Field(None, description="Only conferences in this state.")


class TurnQuery(PageQuery):
    outcome: TurnOutcome | None = Field(None, description="Only turns with this outcome.")
    area: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="Only turns of the procedure area with this code."
    )


class ReferralQuery(PageQuery):
    status: ReferralStatus | None = None
    timeliness: Timeliness | None = Field(
        None, description="What became of the referral against its due date, as of today."
    )
    conference_id: int | None = Field(None, ge=1, le=2**31 - 1)


class PeriodKind(StrEnum):
    YEAR = "year"
    HALF = "half"
    CUSTOM = "custom"


class FiguresQuery(Query):
    kind: PeriodKind = Field(PeriodKind.YEAR, description="A year, a half-year or custom dates.")
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR, description="Default: this year.")
    half: int = Field(1, ge=1, le=2, description="With kind=half: the first or the second.")
    start: date | None = Field(None, description="With kind=custom: the first day.")
    end: date | None = Field(None, description="With kind=custom: the last day.")

    @model_validator(mode="after")
    def _dates(self):
        if self.kind is PeriodKind.CUSTOM:
            if self.start is None or self.end is None:
                raise ValueError("kind=custom needs start and end")
            if self.end < self.start:
                raise ValueError("end is before start")
            if not (self.start.year >= FIRST_YEAR and self.end.year <= LAST_YEAR):
                raise ValueError(f"dates must lie between {FIRST_YEAR} and {LAST_YEAR}")
            if (self.end - self.start).days > MAX_DAYS:
                raise ValueError("a period is at most ten years")
        return self


class DatasetFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


# -- answers --------------------------------------------------------------------------------


class ProblemItem(BaseModel):
    name: str
    reason: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[ProblemItem] | None = Field(
        None, description="With invalid parameters: what is wrong with each."
    )


class Links(BaseModel):
    model_config = ConfigDict(extra="allow")

    self: str
    html: str | None = Field(None, description="The page residents read.")


class Page(BaseModel):
    """One page of a list; ``next_cursor`` is null on the last page."""

    next_cursor: str | None
    next: str | None = Field(description="The address of the next page, if any.")


class Ward(BaseModel):
    id: int
    slug: str
    name: str
    kind: WardKind
    display_name: str = Field(description='The name as headings write it: "Phường Thạch Bàn".')
    province: str
    links: Links


class WardPage(Page):
    items: list[Ward]


class Document(BaseModel):
    """A published version of an official document: frozen, numbered, hashed."""

    code: str = Field(description="The document's public code, as in its short link.")
    type: DocumentType = Field(description="BB: the minutes (biên bản); TB: the notice.")
    number: str = Field(description='As printed: "05/BB-UBND".')
    version: int
    is_current: bool = Field(description="False once a correction has replaced it.")
    title: str
    published: datetime
    correction_reason: str
    pdf_sha256: str = Field(description="SHA-256 of the PDF, hex.")
    pdf_size: int
    html_sha256: str
    links: Links


class AreaRef(BaseModel):
    code: str
    name: str


class Conference(BaseModel):
    id: int
    ward: str = Field(description="The ward's slug.")
    title: str
    status: ConferenceStatus
    plan_number: str
    plan_date: date | None
    reporting_period: str
    start: datetime
    end: datetime | None
    venue: str
    is_recorded_afterwards: bool
    documents: list[Document]
    links: Links


class ConferencePage(Page):
    items: list[Conference]


class TurnReferral(BaseModel):
    id: int | None = Field(description="The referral to follow, once it is open.")
    unit: str
    due_date: date | None


class Turn(BaseModel):
    id: int
    conference_id: int
    number: int = Field(description="The turn's number in the minutes.")
    speaker: str = Field(description="As residents see it: a name only where the ward shows names.")
    group: str
    organisation: str
    area: AreaRef | None
    question: str
    outcome: TurnOutcome
    answerer: str
    answer: str
    referral: TurnReferral | None


class TurnPage(Page):
    items: list[Turn]


class WrittenAnswer(BaseModel):
    version: int
    published: datetime | None
    letter_number: str
    letter_date: date | None
    text: str
    correction_reason: str
    attachment_sha256: str = Field(description="SHA-256 of the signed letter's PDF, if any.")
    attachment: str | None = Field(description="The address of the letter's PDF.")


class Referral(BaseModel):
    id: int
    conference_id: int
    turn_number: int
    question: str
    speaker: str
    area: AreaRef | None
    unit: str
    due_date: date
    original_due_date: date | None
    status: ReferralStatus
    timeliness: Timeliness
    days_overdue: int
    answered_on: date | None
    answers: list[WrittenAnswer] = Field(description="The published versions, newest first.")
    links: Links


class ReferralPage(Page):
    items: list[Referral]


class PeriodOut(BaseModel):
    kind: PeriodKind
    start: date
    end: date
    label: str


class HeldConferenceOut(BaseModel):
    id: int
    title: str
    held_on: date
    is_recorded_afterwards: bool


class CountRowOut(BaseModel):
    label: str
    invited: int
    present: int


class AttendanceOut(BaseModel):
    invited: int
    present: int
    by_group: list[CountRowOut]
    by_category: list[CountRowOut]


class AreaRowOut(BaseModel):
    label: str
    answered: int
    referred: int
    pending: int
    total: int
    answered_share: float | None = Field(description="Per cent answered on the spot.")


class TurnsOut(BaseModel):
    total: AreaRowOut
    by_area: list[AreaRowOut]


class ReferralFiguresOut(BaseModel):
    as_of: date
    on_time: int
    late: int
    open: int
    overdue: int
    on_time_share: float | None


class DossierOut(BaseModel):
    reports: int
    counts: dict[str, int | None]
    rates: dict[str, float | None] = Field(description="Per cent, one decimal.")


class DossiersOut(BaseModel):
    current: DossierOut
    previous: DossierOut
    previous_period: PeriodOut


class SatisfactionOut(BaseModel):
    responses: int
    rate: float | None = Field(description="Per cent satisfied or very satisfied.")


class FeedbackOut(BaseModel):
    survey: SatisfactionOut
    survey_elements: dict[str, SatisfactionOut]
    answer_ratings: SatisfactionOut


class Figures(BaseModel):
    ward: str
    period: PeriodOut
    conferences: list[HeldConferenceOut]
    attendance: AttendanceOut
    turns: TurnsOut
    referrals: ReferralFiguresOut
    dossiers: DossiersOut
    satisfaction: FeedbackOut


class Licence(BaseModel):
    name: str
    url: str


class Dataset(BaseModel):
    year: int
    conferences: int
    turns: int
    json_url: str = Field(alias="json")
    csv: str

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class DatasetList(BaseModel):
    ward: str
    licence: Licence
    items: list[Dataset]


class DatasetTurn(BaseModel):
    conference_id: int
    conference_title: str
    conference_date: date
    number: int
    speaker: str
    group: str
    organisation: str
    area_code: str
    area: str
    question: str
    outcome: TurnOutcome
    answerer: str
    answer: str
    referral_unit: str
    referral_due_date: date | None
    referral_status: ReferralStatus | None
    referral_answered_on: date | None


class DatasetBody(BaseModel):
    ward: str
    year: int
    licence: Licence
    turns: list[DatasetTurn]
