"""Who may do what with an inspection: the one module services, views and serializers ask.

Everything goes through the one restriction (``restrict``) or the user's access scope; a team
member's time-boxed grant on the inspected unit counts as reading it, never as being of that unit.
"""
from __future__ import annotations

from orgtree.models import OrgUnit
from mttq_platform.permissions import load_scope

from inspections.models import Inspection, InspectionStatus, TeamMember, TeamRole

CLOSED_STATUSES = (InspectionStatus.CONCLUDED, InspectionStatus.CANCELLED)
LEADING_ROLES = (TeamRole.LEADER, TeamRole.DEPUTY)


def _acts_for(user, action: str, unit_id) -> bool:
    if unit_id is None or user is None or not user.is_authenticated:
        return False
    return OrgUnit.objects.restrict(user, action, with_extra=False).filter(pk=unit_id).exists()


def _member_reads(user, unit: OrgUnit) -> bool:
    """Whether one of the user's memberships (not a grant) covers ``unit``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return any(
        r.tree_id == unit.tree_id and r.lft <= unit.lft <= r.rght for r, _actions in load_scope(user).memberships
    )


def can_manage_plan(user, plan) -> bool:
    """The inspecting unit's staff who may change its objects; nobody for a plan received from
    another installation (it is changed only where it was made)."""
    return not plan.received_from and _acts_for(user, "change", plan.unit_id)


def _member(user, inspection: Inspection):
    if user is None or not user.is_authenticated or inspection.team_id is None:
        return None
    return TeamMember.objects.filter(team_id=inspection.team_id, user=user).only("role").first()


def is_team_member(user, inspection: Inspection) -> bool:
    return _member(user, inspection) is not None


def is_team_leader(user, inspection: Inspection) -> bool:
    member = _member(user, inspection)
    return member is not None and member.role in LEADING_ROLES


def is_inspecting_side(user, inspection: Inspection) -> bool:
    """Readers of the inspecting unit (a membership at it or above), and superusers."""
    if user is not None and user.is_authenticated and user.is_superuser:
        return True
    return _member_reads(user, inspection.plan.unit)


def can_fill_checklist(user, inspection: Inspection) -> bool:
    if inspection.status in CLOSED_STATUSES:
        return False
    return is_team_member(user, inspection) or can_manage_plan(user, inspection.plan)


def is_inspected_side(user, inspection: Inspection) -> bool:
    """A reader of the inspected unit through a membership, neither on the team nor inspecting."""
    return (
        _member_reads(user, inspection.unit)
        and not is_team_member(user, inspection)
        and not is_inspecting_side(user, inspection)
    )


def can_answer(user, recommendation) -> bool:
    if recommendation.inspection.plan.received_from:
        return False  # answered where the inspection was made
    return _acts_for(user, "change", recommendation.inspection.unit_id) or _acts_for(
        user, "change", recommendation.responsible_unit_id
    )


def sees_internal(user, inspection: Inspection) -> bool:
    """Internal notes and unfinished findings: the team and the inspecting side; the inspected
    side only once the conclusion is issued."""
    if is_team_member(user, inspection) or is_inspecting_side(user, inspection):
        return True
    return inspection.is_concluded and Inspection.objects.restrict(user).filter(pk=inspection.pk).exists()


def can_issue_plan(user, plan) -> bool:
    """Issuing and cancelling a plan (or one inspection) is the standing board's: "manage" on the
    inspecting unit, as issuing its other documents. Never for a plan received from elsewhere."""
    return not plan.received_from and _acts_for(user, "manage", plan.unit_id)
