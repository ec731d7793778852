from .derivation import DerivationJob, DerivationRule
from .documents import DocumentKind, DocumentStatus, LegalBasis, PlanDocument, PlanVersion, Responsibility, Section
from .guidance import AmendmentDecision, Dispatch, InboxItem
from .tasks import OutsideBody, PartyKind, PartyRole, Task, TaskParty

__all__ = [
    "AmendmentDecision",
    "Dispatch",
    "InboxItem",
    "DerivationJob",
    "DerivationRule",
    "DocumentKind",
    "DocumentStatus",
    "LegalBasis",
    "OutsideBody",
    "PartyKind",
    "PartyRole",
    "PlanDocument",
    "PlanVersion",
    "Responsibility",
    "Section",
    "Task",
    "TaskParty",
]
