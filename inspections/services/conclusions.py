"""Findings and the conclusion of one inspection (issue 5, item 3).

While the inspection runs, the team (or the inspecting side) records its findings, its internal
notes and the overall assessment. The conclusion (kết luận kiểm tra: number, symbol, date, text)
is then issued by the team leader or the inspecting side, with its recommendations (each: text,
responsible party, optional responsible unit in the inspected unit's subtree, deadline). Issuing
needs an assessment and the findings; it sets the status to concluded, which locks the findings
and the assessment (they are what the conclusion was based on) and opens them to the inspected side.

Who may do what is decided in ``inspections.services.rules``; refusals are ``InspectionError``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from inspections.models import Inspection, InspectionStatus, Recommendation
from inspections.models.inspections import Assessment
from inspections.services import rules
from inspections.services.errors import InspectionError
from orgtree.models import OrgUnit

CLOSED_STATUSES = (InspectionStatus.CONCLUDED, InspectionStatus.CANCELLED)


@dataclass
class RecommendationInput:
    text: str
    responsible: str
    deadline: date | None
    responsible_unit: OrgUnit | None = None


# -- rights ---------------------------------------------------------------------------------------
def can_record(user, inspection: Inspection) -> bool:
    """The findings are written by those who fill the checklist: the team and the inspecting side,
    while the inspection is neither concluded nor cancelled."""
    return rules.can_fill_checklist(user, inspection)


def can_conclude(user, inspection: Inspection) -> bool:
    """The team leader (or deputy) or the inspecting side issues the conclusion."""
    if inspection.status in CLOSED_STATUSES:
        return False
    return rules.is_team_leader(user, inspection) or rules.can_manage_plan(user, inspection.plan)


def _locked(inspection_pk) -> Inspection:
    return Inspection.objects.select_for_update(of=("self",)).select_related("plan__unit", "unit", "team").get(pk=inspection_pk)


def _require_open(inspection: Inspection):
    if inspection.status == InspectionStatus.CONCLUDED:
        raise InspectionError(
            "Đã ban hành kết luận: kết quả kiểm tra và đánh giá chung không sửa được nữa.",
            "The conclusion is issued: the findings and the assessment can no longer be changed.", code="concluded")
    if inspection.status == InspectionStatus.CANCELLED:
        raise InspectionError("Cuộc kiểm tra đã bị hủy.", "The inspection is cancelled.", code="cancelled")


# -- findings -------------------------------------------------------------------------------------
def record_findings(user, inspection: Inspection, *, findings: str | None = None, internal_notes: str | None = None,
                    assessment: str | None = None, assessment_text: str | None = None) -> Inspection:
    """Save the fields given (None: left as it is)."""
    with transaction.atomic():
        inspection = _locked(inspection.pk)
        _require_open(inspection)
        if not can_record(user, inspection):
            raise InspectionError("Chỉ thành viên đoàn kiểm tra hoặc đơn vị kiểm tra mới ghi được kết quả kiểm tra.",
                                  "Only the team or the inspecting unit may record the findings.", code="permission_denied")
        if assessment and assessment not in Assessment.values:
            raise InspectionError("Mức đánh giá chung không hợp lệ.", "Unknown overall assessment.", code="assessment")
        changed = []
        for name, value in (("findings", findings), ("internal_notes", internal_notes),
                            ("assessment", assessment), ("assessment_text", assessment_text)):
            if value is not None and getattr(inspection, name) != value.strip():
                setattr(inspection, name, value.strip())
                changed.append(name)
        if changed and inspection.status == InspectionStatus.SCHEDULED:
            # Findings being written means the inspection is under way.
            inspection.status = InspectionStatus.IN_PROGRESS
            changed.append("status")
        if changed:
            inspection.save(update_fields=[*changed, "updated_at"])
    return inspection


# -- the conclusion -------------------------------------------------------------------------------
def _check_recommendations(inspection: Inspection, rows: list[RecommendationInput], conclusion_date: date):
    for i, row in enumerate(rows, start=1):
        if not row.text.strip():
            raise InspectionError(f"Kiến nghị {i}: chưa ghi nội dung.", f"Recommendation {i}: the text is missing.",
                                  code="recommendation")
        if not row.responsible.strip() and row.responsible_unit is None:
            raise InspectionError(f"Kiến nghị {i}: chưa ghi đơn vị, người chịu trách nhiệm.",
                                  f"Recommendation {i}: the responsible party is missing.", code="recommendation")
        if row.deadline is None:
            raise InspectionError(f"Kiến nghị {i}: chưa ghi thời hạn.", f"Recommendation {i}: the deadline is missing.",
                                  code="recommendation")
        if row.deadline < conclusion_date:
            raise InspectionError(f"Kiến nghị {i}: thời hạn phải từ ngày kết luận trở đi.",
                                  f"Recommendation {i}: the deadline cannot be before the conclusion date.",
                                  code="recommendation")
        unit = row.responsible_unit
        inspected = inspection.unit
        if unit is not None and not (unit.tree_id == inspected.tree_id and inspected.lft <= unit.lft <= inspected.rght):
            raise InspectionError(
                f"Kiến nghị {i}: đơn vị chịu trách nhiệm phải là {inspected.name} hoặc đơn vị trực thuộc.",
                f"Recommendation {i}: the responsible unit must be {inspected.name} or one of its units.",
                code="recommendation")


def conclude(user, inspection: Inspection, *, number: str, symbol: str, conclusion_date: date | None, text: str,
             recommendations: list[RecommendationInput] = ()) -> Inspection:
    """Issue the conclusion with its recommendations; all or nothing."""
    with transaction.atomic():
        inspection = _locked(inspection.pk)
        _require_open(inspection)
        if not can_conclude(user, inspection):
            raise InspectionError("Chỉ trưởng đoàn hoặc đơn vị kiểm tra mới ban hành được kết luận.",
                                  "Only the team leader or the inspecting unit may issue the conclusion.",
                                  code="permission_denied")
        if not inspection.findings.strip() or not inspection.assessment:
            raise InspectionError("Cần ghi kết quả kiểm tra và đánh giá chung trước khi ban hành kết luận.",
                                  "Record the findings and the overall assessment before issuing the conclusion.",
                                  code="incomplete")
        if not text.strip():
            raise InspectionError("Chưa ghi nội dung kết luận.", "The conclusion text is missing.", code="text")
        if conclusion_date is None:
            raise InspectionError("Chưa ghi ngày kết luận.", "The conclusion date is missing.", code="date")
        recommendations = list(recommendations)
        _check_recommendations(inspection, recommendations, conclusion_date)
        inspection.conclusion_number = number.strip()
        inspection.conclusion_symbol = symbol.strip()
        inspection.conclusion_date = conclusion_date
        inspection.conclusion_text = text.strip()
        inspection.status = InspectionStatus.CONCLUDED
        inspection.concluded_at = timezone.now()
        inspection.save(update_fields=["conclusion_number", "conclusion_symbol", "conclusion_date", "conclusion_text",
                                       "status", "concluded_at", "updated_at"])
        for n, row in enumerate(recommendations, start=1):
            # One save each (audited); a conclusion has a handful of recommendations.
            Recommendation.objects.create(
                inspection=inspection, number=n, text=row.text.strip(),
                responsible=(row.responsible.strip() or row.responsible_unit.name)[:255],
                responsible_unit=row.responsible_unit, deadline=row.deadline,
            )
    return inspection


def number_symbol(inspection: Inspection) -> str:
    return "/".join(part for part in (inspection.conclusion_number, inspection.conclusion_symbol) if part)
