"""Inspection plans, teams and the inspection of each unit: what the inspecting unit does.

A plan belongs to the inspecting unit; it inspects units of its own subtree only. A team is set
up by a decision and has members (users of any unit, or outside experts without an account).
Issuing the plan opens each team's time-boxed access to the unit it inspects; cancelling the plan
or one inspection revokes it at once (inspections.services.access). Every refusal is an
``InspectionError`` with its Vietnamese and English message; nothing is saved on refusal.
"""
from __future__ import annotations


from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from inspections.models import (
    Inspection, InspectionPlan, InspectionPlanStatus, InspectionStatus, Team, TeamMember, TeamRole,
)
from inspections.services import access
from inspections.services.errors import InspectionError
from inspections.services.rules import can_issue_plan, can_manage_plan
from orgtree.models import OrgUnit
from reviews.services.progress import audited_as

PLAN_FIELDS = (
    "number", "symbol", "place", "date", "title", "year", "purpose", "content", "schedule", "start_date", "end_date",
    "signer_on_behalf", "signer_title", "signer_name",
)
TEAM_FIELDS = ("name", "decision_number", "decision_symbol", "decision_date", "duties")
MEMBER_FIELDS = ("name", "title", "organization", "from_unit", "role", "order")
OPEN_PLAN = (InspectionPlanStatus.DRAFT, InspectionPlanStatus.ISSUED)


# -- checks ---------------------------------------------------------------------------------------------
def _refuse_permission() -> InspectionError:
    return InspectionError("Bạn không có quyền với kế hoạch kiểm tra của đơn vị này.",
                           "You may not act on this unit's inspection plans.", code="permission_denied")


def require_local(plan: InspectionPlan) -> None:
    """A plan received from another installation with its conclusions is changed only there."""
    if plan.received_from:
        raise InspectionError("Kế hoạch kiểm tra nhận từ cài đặt khác chỉ được sửa ở nơi lập.",
                              "An inspection plan received from another installation can only be changed where it was made.",
                              code="received")


def require_manage(user, plan: InspectionPlan) -> None:
    require_local(plan)
    if user is not None and not can_manage_plan(user, plan):
        raise _refuse_permission()


def _require_open(plan: InspectionPlan) -> None:
    require_local(plan)
    if plan.status not in OPEN_PLAN:
        raise InspectionError(f"Kế hoạch kiểm tra đang ở trạng thái “{plan.get_status_display()}”, không sửa được.",
                              f"The inspection plan is {plan.status}; it cannot be changed.", code="locked")


def _require_draft(plan: InspectionPlan) -> None:
    if plan.status != InspectionPlanStatus.DRAFT:
        raise InspectionError("Chỉ sửa được nội dung này khi kế hoạch còn là dự thảo.",
                              "This can only be changed while the plan is a draft.", code="locked")


def check_dates(start, end, *, what_vi: str, what_en: str) -> None:
    if not start or not end:
        raise InspectionError(f"Phải ghi {what_vi}.", f"The {what_en} is required.", code="required")
    if end < start:
        raise InspectionError(f"{what_vi.capitalize()}: ngày kết thúc phải sau hoặc bằng ngày bắt đầu.",
                              f"The {what_en} must end on or after its start.", code="invalid_dates")


def check_inspected_unit(plan_unit: OrgUnit, unit: OrgUnit) -> None:
    """Only units strictly below the inspecting unit (its subtree) may be inspected."""
    plan_unit = OrgUnit.objects.get(pk=plan_unit.pk)  # fresh tree fields
    unit = OrgUnit.objects.get(pk=unit.pk)
    if unit.pk == plan_unit.pk or not unit.is_within(plan_unit):
        raise InspectionError(
            f"{unit.name} không thuộc phạm vi kiểm tra của {plan_unit.name}: chỉ kiểm tra được các đơn vị cấp dưới.",
            f"{unit.code} is not below {plan_unit.code}: a plan inspects units of its own subtree only.",
            code="outside_subtree",
        )


def _check_window(plan: InspectionPlan, start, end) -> None:
    check_dates(start, end, what_vi="thời gian mở quyền xem", what_en="access window")
    if start < plan.start_date or end > plan.end_date:
        raise InspectionError(
            f"Thời gian kiểm tra đơn vị phải nằm trong thời gian của kế hoạch "
            f"({plan.start_date:%d/%m/%Y} – {plan.end_date:%d/%m/%Y}).",
            f"The window must lie within the plan's dates ({plan.start_date} – {plan.end_date}).",
            code="window_outside_plan",
        )


def _clean_plan_fields(fields: dict) -> dict:
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise InspectionError("Trường không hợp lệ.", f"Unknown field(s): {', '.join(sorted(unknown))}.")
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if "title" in cleaned and not cleaned["title"]:
        raise InspectionError("Phải ghi trích yếu của kế hoạch.", "The plan's title is required.", code="required")
    return cleaned


# -- plans ------------------------------------------------------------------------------------------------
def create_plan(unit: OrgUnit, *, user, inspected_units=(), windows: dict | None = None, **fields) -> InspectionPlan:
    """A draft plan of ``unit``; ``inspected_units`` each get an inspection with the plan's dates
    as window (or ``windows[unit.pk] = (start, end)``)."""
    probe = InspectionPlan(unit=unit)
    require_manage(user, probe)
    fields = _clean_plan_fields(fields)
    if not fields.get("title"):
        raise InspectionError("Phải ghi trích yếu của kế hoạch.", "The plan's title is required.", code="required")
    check_dates(fields.get("start_date"), fields.get("end_date"), what_vi="thời gian kiểm tra", what_en="plan's period")
    fields.setdefault("year", fields["start_date"].year)
    for inspected in inspected_units:
        check_inspected_unit(unit, inspected)
    with transaction.atomic(), audited_as(user):
        plan = InspectionPlan.objects.create(unit=unit, created_by=user if getattr(user, "pk", None) else None, **fields)
        for inspected in inspected_units:
            start, end = (windows or {}).get(inspected.pk, (plan.start_date, plan.end_date))
            _check_window(plan, start, end)
            Inspection.objects.create(plan=plan, unit=inspected, window_start=start, window_end=end)
    return plan


def _locked(plan: InspectionPlan) -> InspectionPlan:
    return InspectionPlan.objects.select_for_update(of=("self",)).select_related("unit").get(pk=plan.pk)


def update_plan(plan: InspectionPlan, *, user, **fields) -> InspectionPlan:
    """Edit the plan's text and dates (draft or issued; the dates must still hold every window)."""
    require_manage(user, plan)
    fields = _clean_plan_fields(fields)
    with transaction.atomic(), audited_as(user):
        locked = _locked(plan)
        _require_open(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        check_dates(locked.start_date, locked.end_date, what_vi="thời gian kiểm tra", what_en="plan's period")
        for inspection in locked.inspections.exclude(status=InspectionStatus.CANCELLED):
            _check_window(locked, inspection.window_start, inspection.window_end)
        locked.save()
    return locked


def add_inspection(plan: InspectionPlan, unit: OrgUnit, *, user, window_start=None, window_end=None,
                   team: Team | None = None) -> Inspection:
    require_manage(user, plan)
    check_inspected_unit(plan.unit, unit)
    with transaction.atomic(), audited_as(user):
        locked = _locked(plan)
        _require_open(locked)
        start, end = window_start or locked.start_date, window_end or locked.end_date
        _check_window(locked, start, end)
        if team is not None and team.plan_id != locked.pk:
            raise _foreign_team()
        if Inspection.objects.filter(plan=locked, unit=unit).exists():
            raise InspectionError(f"{unit.name} đã có trong kế hoạch này.", f"{unit.code} is already in this plan.",
                                  code="duplicate")
        inspection = Inspection.objects.create(plan=locked, unit=unit, window_start=start, window_end=end, team=team)
        inspection.plan = locked
        access.open_access(inspection)
    return inspection


def remove_inspection(inspection: Inspection, *, user) -> None:
    """Drop a unit from a draft plan (an issued plan cancels the inspection instead)."""
    require_manage(user, inspection.plan)
    with transaction.atomic(), audited_as(user):
        _require_draft(_locked(inspection.plan))
        inspection.delete()


def set_window(inspection: Inspection, *, user, window_start, window_end) -> Inspection:
    """Move the access window; on an issued plan the team's grants follow at once."""
    require_manage(user, inspection.plan)
    with transaction.atomic(), audited_as(user):
        plan = _locked(inspection.plan)
        _require_open(plan)
        inspection = Inspection.objects.select_related("unit").get(pk=inspection.pk)
        if inspection.status in (InspectionStatus.CANCELLED, InspectionStatus.CONCLUDED):
            raise _closed_inspection(inspection)
        _check_window(plan, window_start, window_end)
        inspection.plan = plan
        inspection.window_start, inspection.window_end = window_start, window_end
        inspection.save()
        access.open_access(inspection)
    return inspection


def issue_plan(plan: InspectionPlan, *, user) -> InspectionPlan:
    """Issue a draft plan: every inspection with a team opens its team's access."""
    if user is not None and not can_issue_plan(user, plan):
        raise _refuse_permission()
    with transaction.atomic(), audited_as(user):
        locked = _locked(plan)
        if locked.status != InspectionPlanStatus.DRAFT:
            raise InspectionError("Chỉ ban hành được kế hoạch đang là dự thảo.", "Only a draft plan can be issued.",
                                  code="locked")
        inspections = list(locked.inspections.select_related("unit"))
        if not inspections:
            raise InspectionError("Kế hoạch chưa có đơn vị được kiểm tra nào.", "The plan inspects no unit yet.",
                                  code="empty")
        locked.status = InspectionPlanStatus.ISSUED
        if not locked.date:
            locked.date = timezone.localdate()
        locked.save()
        for inspection in inspections:
            inspection.plan = locked
            access.open_access(inspection)
    return locked


def cancel_plan(plan: InspectionPlan, *, user, reason: str) -> InspectionPlan:
    """Cancel the plan: every inspection not yet concluded is cancelled and its access revoked."""
    if user is not None and not can_issue_plan(user, plan):
        raise _refuse_permission()
    reason = _require_reason(reason)
    with transaction.atomic(), audited_as(user):
        locked = _locked(plan)
        _require_open(locked)
        locked.status = InspectionPlanStatus.CANCELLED
        locked.cancelled_at, locked.cancel_reason = timezone.now(), reason
        locked.save()
        for inspection in locked.inspections.exclude(status=InspectionStatus.CONCLUDED):
            _cancel(inspection, reason, user)
    return locked


def cancel_inspection(inspection: Inspection, *, user, reason: str) -> Inspection:
    """Cancel one unit's inspection; its team's access is revoked at once."""
    if user is not None and not can_issue_plan(user, inspection.plan):
        raise _refuse_permission()
    reason = _require_reason(reason)
    with transaction.atomic(), audited_as(user):
        _require_open(_locked(inspection.plan))
        inspection = Inspection.objects.select_for_update(of=("self",)).get(pk=inspection.pk)
        if inspection.status in (InspectionStatus.CANCELLED, InspectionStatus.CONCLUDED):
            raise _closed_inspection(inspection)
        _cancel(inspection, reason, user)
    return inspection


def _cancel(inspection: Inspection, reason: str, user) -> None:
    inspection.status = InspectionStatus.CANCELLED
    inspection.save()
    access.revoke_access(inspection, f"{access.REASON_CANCELLED}: {reason}")


def _require_reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InspectionError("Phải ghi lý do hủy.", "A reason for cancelling is required.", code="reason_required")
    return reason


def _closed_inspection(inspection: Inspection) -> InspectionError:
    return InspectionError(f"Cuộc kiểm tra đang ở trạng thái “{inspection.get_status_display()}”, không thay đổi được.",
                           f"The inspection is {inspection.status}; it cannot be changed.", code="locked")


def _foreign_team() -> InspectionError:
    return InspectionError("Đoàn kiểm tra không thuộc kế hoạch này.", "The team belongs to another plan.",
                           code="foreign_team")


# -- teams ------------------------------------------------------------------------------------------------
def _clean_member(member: dict) -> dict:
    member = dict(member)
    user = member.pop("user", None)
    unknown = set(member) - set(MEMBER_FIELDS)
    if unknown:
        raise InspectionError("Trường không hợp lệ.", f"Unknown member field(s): {', '.join(sorted(unknown))}.")
    member = {k: (v.strip() if isinstance(v, str) else v) for k, v in member.items()}
    if user is not None and not isinstance(user, get_user_model()):
        user = get_user_model().objects.filter(pk=user).first()
    if not member.get("name") and user is not None:
        member["name"] = user.get_full_name() or user.get_username()
    if not member.get("name"):
        raise InspectionError("Phải ghi họ và tên thành viên đoàn.", "A team member needs a name.", code="required")
    role = member.get("role") or TeamRole.MEMBER
    if role not in TeamRole.values:
        raise InspectionError("Vai trò trong đoàn không hợp lệ.", f"Unknown team role {role!r}.")
    member["role"] = role
    member["user"] = user
    return member


def create_team(plan: InspectionPlan, *, user, members=(), **fields) -> Team:
    """Set up a team by decision, with its members: ``members`` are dicts of name, title,
    organization, from_unit, role, order and ``user`` (a User, its id, or None for an outside expert)."""
    require_manage(user, plan)
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise InspectionError("Trường không hợp lệ.", f"Unknown team field(s): {', '.join(sorted(unknown))}.")
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if not fields.get("name"):
        raise InspectionError("Phải ghi tên đoàn kiểm tra.", "The team needs a name.", code="required")
    cleaned = [_clean_member(m) for m in members]
    _check_distinct(cleaned)
    with transaction.atomic(), audited_as(user):
        _require_open(_locked(plan))
        team = Team.objects.create(plan_id=plan.pk, **fields)
        for order, member in enumerate(cleaned, start=1):
            member.setdefault("order", order)
            TeamMember.objects.create(team=team, **member)
    return team


def _check_distinct(members: list[dict]) -> None:
    users = [m["user"].pk for m in members if m["user"] is not None]
    if len(users) != len(set(users)):
        raise InspectionError("Một người dùng chỉ có một lần trong đoàn.", "A user is on the team only once.",
                              code="duplicate")


def update_team(team: Team, *, user, **fields) -> Team:
    require_manage(user, team.plan)
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise InspectionError("Trường không hợp lệ.", f"Unknown team field(s): {', '.join(sorted(unknown))}.")
    with transaction.atomic(), audited_as(user):
        _require_open(_locked(team.plan))
        team = Team.objects.get(pk=team.pk)
        for name, value in fields.items():
            setattr(team, name, value.strip() if isinstance(value, str) else value)
        if not team.name:
            raise InspectionError("Phải ghi tên đoàn kiểm tra.", "The team needs a name.", code="required")
        team.save()
    return team


def add_member(team: Team, *, user, account=None, **member) -> TeamMember:
    """Add a member (``account``: their User or its id; None for an outside expert); on an issued
    plan, a member with an account gets access to the team's units at once."""
    require_manage(user, team.plan)
    member = _clean_member({**member, "user": account})
    with transaction.atomic(), audited_as(user):
        _require_open(_locked(team.plan))
        if member["user"] is not None and TeamMember.objects.filter(team=team, user=member["user"]).exists():
            raise InspectionError("Người này đã có trong đoàn.", "This user is already on the team.", code="duplicate")
        member.setdefault("order", team.members.count() + 1)
        try:
            with transaction.atomic():
                row = TeamMember.objects.create(team=team, **member)
        except IntegrityError as error:
            raise InspectionError("Người này đã có trong đoàn.", "This user is already on the team.",
                                  code="duplicate") from error
        _refresh_team_access(team, user)
    return row


def remove_member(member: TeamMember, *, user) -> None:
    """Remove a member; their access to the team's units is revoked at once."""
    team = member.team
    require_manage(user, team.plan)
    with transaction.atomic(), audited_as(user):
        _require_open(_locked(team.plan))
        member.delete()
        _refresh_team_access(team, user)


def _refresh_team_access(team: Team, user) -> None:
    for inspection in Inspection.objects.filter(team=team).select_related("plan", "unit"):
        if access.needs_access(inspection):
            access.open_access(inspection)


def assign_team(inspection: Inspection, team: Team | None, *, user) -> Inspection:
    """Give the inspection its team (or none); on an issued plan the access follows at once:
    the new team's members are granted, those no longer on it revoked."""
    require_manage(user, inspection.plan)
    with transaction.atomic(), audited_as(user):
        plan = _locked(inspection.plan)
        _require_open(plan)
        inspection = Inspection.objects.select_for_update(of=("self",)).select_related("unit").get(pk=inspection.pk)
        if inspection.status in (InspectionStatus.CANCELLED, InspectionStatus.CONCLUDED):
            raise _closed_inspection(inspection)
        if team is not None and team.plan_id != plan.pk:
            raise _foreign_team()
        inspection.plan = plan
        inspection.team = team
        inspection.save()
        if team is None:
            access.revoke_access(inspection, access.REASON_LEFT_TEAM)
        else:
            access.open_access(inspection)
    return inspection
