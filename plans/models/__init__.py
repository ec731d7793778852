from .documents import DocumentKind, DocumentStatus, LegalBasis, PlanDocument, PlanVersion, Responsibility, Section
from .tasks import OutsideBody, PartyKind, PartyRole, Task, TaskParty

__all__ = [
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
