"""Import every model, so that the metadata is complete wherever it is needed."""

from dialogue.audit import recording  # noqa: F401  (registers the audit listener)
from dialogue.audit.models import AuditEvent
from dialogue.auth.models import User
from dialogue.conferences.models import Conference
from dialogue.people.models import PendingImport, Person
from dialogue.wards.models import DelegateCategory, ProcedureArea, ResidentialGroup, Unit, Ward

__all__ = [
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
