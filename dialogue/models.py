"""Import every model, so that the metadata is complete wherever it is needed."""

from dialogue.attendance.models import Attendee
from dialogue.audit import recording  # noqa: F401  (registers the audit listener)
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.documents.models import DocumentCounter, DocumentNumber
from dialogue.people.models import PendingImport, Person
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup, Unit, Ward

__all__ = [
    "Attendee",
    "DocumentCounter",
    "DocumentNumber",
    "AuditEvent",
    "Conference",
    "DelegateCategory",
    "PendingImport",
    "Person",
    "ProcedureArea",
    "ResidentialGroup",
    "Unit",
    "User",
    "Ward",
]
