"""Import every model, so that the metadata is complete wherever it is needed."""

from dialogue.api.models import PreparedAnswer, WardVersion
from dialogue.archive.search_index import SearchEntry
from dialogue.attendance.models import Attendee
from dialogue.audit import recording  # noqa: F401  (registers the audit listener)
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import User
from dialogue.city.models import Province
from dialogue.conferences.models import AgendaItem, ConclusionTask, Conference
from dialogue.documents.models import DocumentCounter, DocumentNumber
from dialogue.dossier.models import DossierLine, DossierReport
from dialogue.feedback.models import AnswerRating, QuestionSupport, Survey, SurveyResponse
from dialogue.followup.models import Referral, ReferralRequest, WrittenAnswer
from dialogue.ledger.models import LedgerEntry
from dialogue.live.models import LiveEvent, Turn
from dialogue.mail.models import OutboxMessage
from dialogue.minutes.models import MinutesDraft, PublishedDocument
from dialogue.people.models import PendingImport, Person
from dialogue.photos.models import Photo
from dialogue.questions.models import ResidentQuestion
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup, Unit, Ward

__all__ = [
    "PreparedAnswer",
    "WardVersion",
    "AnswerRating",
    "QuestionSupport",
    "Survey",
    "SurveyResponse",
    "AgendaItem",
    "Attendee",
    "DocumentCounter",
    "DocumentNumber",
    "DossierLine",
    "DossierReport",
    "LedgerEntry",
    "LiveEvent",
    "MinutesDraft",
    "OutboxMessage",
    "AuditEvent",
    "ConclusionTask",
    "Conference",
    "DelegateCategory",
    "PendingImport",
    "Province",
    "Person",
    "Photo",
    "PublishedDocument",
    "Referral",
    "ReferralRequest",
    "WrittenAnswer",
    "ProcedureArea",
    "ResidentQuestion",
    "ResidentialGroup",
    "SearchEntry",
    "Turn",
    "Unit",
    "User",
    "Ward",
]
