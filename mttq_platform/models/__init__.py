from .audit import AuditLog
from .tokens import ApiToken

__all__ = ["ApiToken", "AuditLog"]
