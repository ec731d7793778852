"""The approval of a unit's yearly report, as DHIS2 does it for a unit and a period.

    draft --submit--> submitted --accept--> accepted --reopen--> draft (version + 1)
      ^                   |
      +------return-------+ (returned: the drafter edits and submits again)
    draft / returned / submitted --waive--> waived --unwaive--> draft

The unit submits (its own "change" right); everything else is the parent's act: a user with
"change" on ``report.unit.parent`` through the one restriction. A report is accepted only once
every child unit's report for the same year is accepted or waived; conversely a child's report is
not reopened or unwaived while its parent's report stands accepted (reopen that one first).
Accepting locks the report and keeps a snapshot (``ReportVersion``) that stays readable after a
reopening. Returning, reopening and waiving need a comment.

Every step locks the report row (concurrent actions are serialized), saves it normally (so the
audit records it), writes an ``ApprovalEvent`` carrying the version the report is at after the
step, and sends ``report_data_changed``.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orgtree.models import OrgUnit
from reviews.models import (
    ApprovalAction, ApprovalEvent, IndicatorValue, ReportStatus, ReportVersion, TaskProgress, UnitReport,
)
from reviews.services.errors import ReviewError
from reviews.services.progress import EDITABLE_STATUSES, can_edit, locked_report, may_change_unit_report, refresh_from
from reviews.signals import report_data_changed

__all__ = [
    "accept", "available_actions", "can_edit", "can_review", "history", "reopen", "return_report", "submit", "unwaive",
    "waive",
]

READY_STATUSES = (ReportStatus.ACCEPTED, ReportStatus.WAIVED)


def can_review(user, report: UnitReport) -> bool:
    """The parent's right: "change" on the unit above the report's unit."""
    parent_id = report.unit.parent_id
    return parent_id is not None and OrgUnit.objects.restrict(user, "change").filter(pk=parent_id).exists()


# What the parent may do to a child's report, by its status.
_REVIEW_STEPS = {
    ReportStatus.DRAFT: [ApprovalAction.WAIVE],
    ReportStatus.RETURNED: [ApprovalAction.WAIVE],
    ReportStatus.SUBMITTED: [ApprovalAction.ACCEPT, ApprovalAction.RETURN, ApprovalAction.WAIVE],
    ReportStatus.ACCEPTED: [ApprovalAction.REOPEN],
    ReportStatus.WAIVED: [ApprovalAction.UNWAIVE],
}


def _statuses_allowing(action: str) -> tuple[str, ...]:
    if action == ApprovalAction.SUBMIT:
        return tuple(EDITABLE_STATUSES)
    return tuple(status for status, steps in _REVIEW_STEPS.items() if action in steps)


def available_actions(user, report: UnitReport) -> list[str]:
    """The approval steps ``user`` may offer on ``report`` in its status (for buttons; two queries).
    The step itself still checks everything (an accept may wait for children)."""
    actions = []
    if report.status in EDITABLE_STATUSES and may_change_unit_report(user, report):
        actions.append(ApprovalAction.SUBMIT.value)
    if can_review(user, report):
        actions += [step.value for step in _REVIEW_STEPS.get(report.status, [])]
    return actions


def _refuse_status(report: UnitReport, action: str, allowed) -> ReviewError:
    allowed_vi = ", ".join(f"“{ReportStatus(s).label}”" for s in allowed)
    return ReviewError(
        f"Không thể {ApprovalAction(action).label.lower()} báo cáo đang ở trạng thái “{report.get_status_display()}” "
        f"(chỉ khi {allowed_vi}).",
        f"Cannot {action} a report that is {report.status} (only when {', '.join(allowed)}).",
        code="wrong_status",
    )


def _required_comment(comment: str, action: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ReviewError(f"Cần ghi ý kiến khi {ApprovalAction(action).label.lower()} báo cáo.",
                          f"A comment is required to {action} a report.", code="comment_required")
    return comment


def _step(report: UnitReport, *, user, action: str, comment: str, by_parent: bool, change,
          upper_must_be_open: bool = False):
    """One approval step: lock, check right and status, apply ``change(locked)``, save, record.

    ``upper_must_be_open``: the step takes the report out of accepted/waived, so it is refused
    while the parent unit's report of the year stands accepted on it (reopen that one first).
    Locks are always taken upper report first, as ``accept`` does (its own, then its children's),
    so two steps on a parent and a child cannot deadlock."""
    with transaction.atomic():
        upper = None
        if upper_must_be_open:
            upper = (UnitReport.objects.select_for_update()
                     .filter(unit_id=report.unit.parent_id, year=report.year).first())
        with locked_report(report.pk, user) as locked:
            if by_parent:
                if not can_review(user, locked):
                    raise ReviewError("Chỉ đơn vị cấp trên trực tiếp mới được thực hiện thao tác này.",
                                      "Only the parent unit may do this.", code="permission_denied")
            elif not may_change_unit_report(user, locked):
                raise ReviewError("Bạn không có quyền gửi báo cáo của đơn vị này.",
                                  "You may not submit this unit's report.", code="permission_denied")
            allowed = _statuses_allowing(action)
            if locked.status not in allowed:
                raise _refuse_status(locked, action, allowed)
            if upper is not None and upper.status == ReportStatus.ACCEPTED:
                raise ReviewError(
                    "Báo cáo của đơn vị cấp trên đã được chấp nhận dựa trên báo cáo này; "
                    "cần mở lại báo cáo cấp trên trước.",
                    "The parent unit's report was accepted on the strength of this one; reopen it first.",
                    code="upper_accepted",
                )
            change(locked)
            locked.save()
            ApprovalEvent.objects.create(
                report=locked, action=action, version=locked.version, comment=comment,
                actor=user if getattr(user, "pk", None) else None,
                actor_unit_id=locked.unit.parent_id if by_parent else locked.unit_id,
            )
            report_data_changed.send(UnitReport, report_ids=[locked.pk])
    refresh_from(report, locked)
    return report


def submit(report: UnitReport, *, user, comment: str = "") -> UnitReport:
    def change(locked):
        now = timezone.now()
        locked.status = ReportStatus.SUBMITTED
        locked.submitted_at = now
        if locked.first_submitted_at is None:
            locked.first_submitted_at = now

    return _step(report, user=user, action=ApprovalAction.SUBMIT, comment=(comment or "").strip(), by_parent=False,
                 change=change)


def children_not_ready(report: UnitReport, *, lock: bool = False) -> list[UnitReport]:
    """Reports of the same year of the unit's children that are neither accepted nor waived.
    ``lock``: hold every child report until the transaction ends (a child cannot be reopened
    while its parent is being accepted)."""
    children = UnitReport.objects.filter(unit__parent_id=report.unit_id, year=report.year)
    if lock:
        list(children.select_for_update(of=("self",)).values_list("pk", flat=True))
    return list(children.exclude(status__in=READY_STATUSES).select_related("unit").order_by("unit__lft"))


def snapshot(report: UnitReport) -> dict:
    """The report's content as JSON: what the accepted version said."""
    progress = (
        TaskProgress.objects.filter(report=report).select_related("task").prefetch_related("evidence")
        .order_by("due", "task__order", "period_key")
    )
    values = (IndicatorValue.objects.filter(report=report).select_related("indicator")
              .order_by("indicator__order", "indicator__code"))
    return {
        "unit": report.unit.code,
        "year": report.year,
        "version": report.version,
        "summary": report.summary,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "first_submitted_at": report.first_submitted_at.isoformat() if report.first_submitted_at else None,
        "progress": [
            {
                "id": row.pk, "task": row.task_id, "task_number": row.task.number, "task_text": row.task.text,
                "period_key": row.period_key, "period_label": row.period_label, "due": row.due.isoformat(),
                "status": row.status, "percent": row.percent, "narrative": row.narrative, "reason": row.reason,
                "evidence": [
                    {"uuid": str(e.uuid), "name": e.original_name, "size": e.size, "sha256": e.sha256}
                    for e in row.evidence.all()
                ],
            }
            for row in progress
        ],
        "indicators": {value.indicator.code: value.value for value in values},
    }


def accept(report: UnitReport, *, user, comment: str = "") -> UnitReport:
    def change(locked):
        waiting = children_not_ready(locked, lock=True)
        if waiting:
            names = "; ".join(f"{r.unit.name} ({r.get_status_display()})" for r in waiting)
            codes = ", ".join(f"{r.unit.code} ({r.status})" for r in waiting)
            raise ReviewError(
                f"Chưa thể chấp nhận: báo cáo của các đơn vị cấp dưới chưa được chấp nhận hoặc miễn: {names}.",
                f"Cannot accept yet: reports of these child units are neither accepted nor waived: {codes}.",
                code="children_not_ready",
            )
        now = timezone.now()
        locked.status = ReportStatus.ACCEPTED
        locked.accepted_at = now
        locked.accepted_by = user if getattr(user, "pk", None) else None
        ReportVersion.objects.create(report=locked, version=locked.version, snapshot=snapshot(locked),
                                     accepted_at=now, accepted_by=locked.accepted_by)

    return _step(report, user=user, action=ApprovalAction.ACCEPT, comment=(comment or "").strip(), by_parent=True,
                 change=change)


def return_report(report: UnitReport, *, user, comment: str) -> UnitReport:
    comment = _required_comment(comment, ApprovalAction.RETURN)

    def change(locked):
        locked.status = ReportStatus.RETURNED

    return _step(report, user=user, action=ApprovalAction.RETURN, comment=comment, by_parent=True, change=change)


def reopen(report: UnitReport, *, user, comment: str) -> UnitReport:
    """The parent opens an accepted report again: a new version, in draft; the accepted one stays
    as its ReportVersion."""
    comment = _required_comment(comment, ApprovalAction.REOPEN)

    def change(locked):
        locked.status = ReportStatus.DRAFT
        locked.version += 1
        locked.accepted_at = None
        locked.accepted_by = None

    return _step(report, user=user, action=ApprovalAction.REOPEN, comment=comment, by_parent=True, change=change,
                 upper_must_be_open=True)


def waive(report: UnitReport, *, user, comment: str) -> UnitReport:
    """The parent exempts a child's report for the year (it no longer holds back the parent's)."""
    comment = _required_comment(comment, ApprovalAction.WAIVE)

    def change(locked):
        locked.status = ReportStatus.WAIVED

    return _step(report, user=user, action=ApprovalAction.WAIVE, comment=comment, by_parent=True, change=change)


def unwaive(report: UnitReport, *, user, comment: str = "") -> UnitReport:
    def change(locked):
        locked.status = ReportStatus.DRAFT

    return _step(report, user=user, action=ApprovalAction.UNWAIVE, comment=(comment or "").strip(), by_parent=True,
                 change=change, upper_must_be_open=True)


def history(report: UnitReport):
    """The report's approval events, oldest first, with who and from which unit (for the page)."""
    return ApprovalEvent.objects.filter(report=report).select_related("actor", "actor_unit").order_by("at", "id")

