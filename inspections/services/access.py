"""Time-boxed read access of a team to the unit it inspects (docs/decisions/0007-inspections.md).

Each team member with an account gets a guardian grant ``view_orgunit`` on the inspected unit
(it opens the unit and its subtree, nothing beside it) that expires at the end of the window's last
day, local time. The grant stops counting at expiry whatever runs; ``TeamAccess`` remembers which
grant belongs to which inspection so that cancelling revokes exactly those at once, and the beat
job ``inspections.close_access_windows`` marks the closed ones. Grants are audited models: every
grant and revocation leaves an AuditLog row.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from inspections.models import Inspection, InspectionPlanStatus, InspectionStatus, TeamAccess, TeamMember
from mttq_platform.audit import acting_as
from orgtree.models import OrgUnitUserObjectPermission

REASON_CANCELLED = "Hủy kiểm tra / inspection cancelled"
REASON_WINDOW_CLOSED = "Hết thời hạn kiểm tra / access window closed"
REASON_GRANT_GONE = "Quyền đã bị xóa / grant removed"
REASON_LEFT_TEAM = "Không còn trong đoàn kiểm tra / no longer on the team"


def window_expiry(window_end) -> datetime:
    """The end of ``window_end`` in the platform's time zone: midnight starting the next day."""
    return window_start(window_end + timedelta(days=1))


def window_start(day) -> datetime:
    """The first moment of ``day`` in the platform's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _view_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="orgtree", codename="view_orgunit")


def grant_reason(inspection: Inspection) -> str:
    plan = inspection.plan
    label = plan.number_symbol or plan.title
    return f"Đoàn kiểm tra theo KH {label}: {inspection.unit.code}"[:255]


def needs_access(inspection: Inspection) -> bool:
    return (
        inspection.team_id is not None
        and inspection.plan.status == InspectionPlanStatus.ISSUED
        and inspection.status not in (InspectionStatus.CANCELLED, InspectionStatus.CONCLUDED)
    )


@transaction.atomic
def open_access(inspection: Inspection) -> list[TeamAccess]:
    """Give (or bring in line with the window) the grant of every team member with an account;
    revoke those of users no longer on the team. Nothing when the inspection needs no access.
    Audit rows name whoever the caller acts as (``audited_as`` / ``acting_as``)."""
    if not needs_access(inspection):
        return []
    starts_at = window_start(inspection.window_start)
    expires_at = window_expiry(inspection.window_end)
    reason = grant_reason(inspection)
    permission = _view_permission()
    members = TeamMember.objects.filter(team_id=inspection.team_id, user__isnull=False).select_related("user")
    users = {member.user_id: member.user for member in members}
    rows = TeamAccess.objects.select_for_update(of=("self",)).filter(inspection=inspection).select_related("grant")
    accesses = {access.user_id: access for access in rows}
    result = []
    revoke_access(inspection, REASON_LEFT_TEAM, exclude_users=list(users))
    for user_id, user in users.items():
        access = accesses.get(user_id) or TeamAccess(inspection=inspection, user=user)
        grant = access.grant
        if grant is None:
            grant, created = OrgUnitUserObjectPermission.objects.get_or_create(
                user_id=user_id, permission=permission, content_object_id=inspection.unit_id,
                defaults={"starts_at": starts_at, "expires_at": expires_at, "reason": reason},
            )
            if not created and TeamAccess.objects.filter(grant=grant).exclude(pk=access.pk).exists():
                continue  # opened by another inspection of the unit: that one keeps and revokes it
            if not created and grant.expires_at is None:
                continue  # a standing grant already opens the unit: not ours to revoke
        if grant is not None and (grant.starts_at, grant.expires_at, grant.reason) != (starts_at, expires_at, reason):
            grant.starts_at, grant.expires_at, grant.reason = starts_at, expires_at, reason
            grant.save()
        access.grant = grant
        access.expires_at = expires_at
        access.revoked_at, access.revoked_reason = None, ""
        access.save()
        result.append(access)
    return result


@transaction.atomic
def revoke_access(inspection: Inspection, reason: str, *, exclude_users=()) -> int:
    """Revoke at once the inspection's open accesses (deleting their grants, audited)."""
    rows = TeamAccess.objects.select_for_update(of=("self",)).filter(inspection=inspection, revoked_at__isnull=True)
    if exclude_users:
        rows = rows.exclude(user_id__in=exclude_users)
    return _revoke(list(rows.select_related("grant")), reason)


def _revoke(accesses, reason: str) -> int:
    now = timezone.now()
    for access in accesses:
        if access.grant is not None:
            access.grant.delete()
        access.grant = None
        access.revoked_at, access.revoked_reason = now, reason[:255]
        access.save(update_fields=["grant", "revoked_at", "revoked_reason"])
    return len(accesses)


def close_access_windows(now: datetime | None = None) -> int:
    """Mark revoked every open access whose window has closed (deleting its grant if the grant job
    has not yet) or whose grant is gone; returns how many were closed."""
    now = now or timezone.now()
    closed = 0
    with acting_as(None, "job"), transaction.atomic():
        due = TeamAccess.objects.select_for_update(of=("self",)).filter(revoked_at__isnull=True)
        expired = list(due.filter(expires_at__lte=now).select_related("grant"))
        closed += _revoke(expired, REASON_WINDOW_CLOSED)
        gone = list(due.filter(Q(grant__isnull=True) | Q(grant__expires_at__lte=now), expires_at__gt=now)
                    .select_related("grant"))
        closed += _revoke(gone, REASON_GRANT_GONE)
    return closed
