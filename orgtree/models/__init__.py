from .grants import OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission
from .memberships import Membership, Role
from .successions import UnitSuccession
from .units import CodeSet, Level, OrgUnit, UnitKind

__all__ = [
    "CodeSet",
    "Level",
    "Membership",
    "OrgUnit",
    "OrgUnitGroupObjectPermission",
    "OrgUnitUserObjectPermission",
    "Role",
    "UnitKind",
    "UnitSuccession",
]
