"""Following up the recommendations of a conclusion (issue 5, item 3).

The inspected unit (or the responsible unit) answers a recommendation: what was done, with an
optional evidence file (checked by its content, kept in the private storage) -> answered. The team
leader or the inspecting side then closes it, or reopens it with a note; the decision is recorded
on the answer it was taken on. Overdue is derived, never typed: the deadline has passed and the
recommendation is not closed.

The recommendations' reminders (before the deadline, and when overdue) are collected here and sent
by the reviews reminder job, which learns of this source through ``reviews.reminders.register_source``
(see ``inspections.apps``): reviews imports nothing of inspections.
"""
from __future__ import annotations

import uuid
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from inspections.models import Recommendation, RecommendationAnswer, RecommendationStatus, TeamMember, TeamRole
from inspections.services import rules
from inspections.services.errors import InspectionError
from orgtree.models import OrgUnit
from reviews.services.evidence import check_evidence_file

ANSWERABLE = (RecommendationStatus.OPEN, RecommendationStatus.REOPENED, RecommendationStatus.ANSWERED)


# -- overdue ------------------------------------------------------------------------------------------
def overdue_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}deadline__lt": today}) & ~Q(**{f"{prefix}status": RecommendationStatus.CLOSED})


def is_overdue(recommendation: Recommendation, today: date) -> bool:
    return recommendation.deadline < today and recommendation.status != RecommendationStatus.CLOSED


def overdue_for_unit(user, unit: OrgUnit, today: date) -> tuple[list, list]:
    """The overdue recommendations ``unit`` must answer (issued to it or to a unit of its subtree),
    and those it issued as the inspecting unit; both read through the restriction."""
    visible = Recommendation.objects.restrict(user).filter(overdue_q(today)).select_related(
        "inspection__unit", "inspection__plan__unit", "responsible_unit").order_by("deadline", "pk")
    subtree = {"tree_id": unit.tree_id, "lft__gte": unit.lft, "lft__lte": unit.rght}
    to_answer = visible.filter(
        Q(**{f"inspection__unit__{k}": v for k, v in subtree.items()})
        | Q(**{f"responsible_unit__{k}": v for k, v in subtree.items()})
    )
    issued = visible.filter(inspection__plan__unit=unit)
    return list(to_answer), list(issued)


# -- rights -------------------------------------------------------------------------------------------
def can_answer(user, recommendation: Recommendation) -> bool:
    return recommendation.status in ANSWERABLE and rules.can_answer(user, recommendation)


def can_decide(user, recommendation: Recommendation) -> bool:
    """The team leader (or deputy) or the inspecting side closes or reopens a recommendation."""
    inspection = recommendation.inspection
    return rules.is_team_leader(user, inspection) or rules.can_manage_plan(user, inspection.plan)


def _locked(recommendation_pk) -> Recommendation:
    return (Recommendation.objects.select_for_update(of=("self",))
            .select_related("inspection__plan__unit", "inspection__unit", "inspection__team", "responsible_unit")
            .get(pk=recommendation_pk))


def latest_answer(recommendation: Recommendation) -> RecommendationAnswer | None:
    return recommendation.answers.order_by("-answered_at", "-pk").first()


# -- answering ----------------------------------------------------------------------------------------
def answer(user, recommendation: Recommendation, text: str, upload=None) -> RecommendationAnswer:
    text = (text or "").strip()
    if not text:
        raise InspectionError("Chưa ghi kết quả thực hiện kiến nghị.", "Write what was done.", code="text")
    described = check_evidence_file(upload) if upload else None  # refuse a bad file before anything is written
    with transaction.atomic():
        recommendation = _locked(recommendation.pk)
        if recommendation.status == RecommendationStatus.CLOSED:
            raise InspectionError("Kiến nghị đã hoàn thành, không báo cáo thêm được.",
                                  "The recommendation is closed; no more answers.", code="closed")
        if not rules.can_answer(user, recommendation):
            raise InspectionError("Chỉ đơn vị được kiểm tra (hoặc đơn vị chịu trách nhiệm) mới báo cáo được kết quả.",
                                  "Only the inspected (or responsible) unit may answer.", code="permission_denied")
        reply = RecommendationAnswer(recommendation=recommendation, text=text, answered_by=user)
        if described is not None:
            reply.original_name = (getattr(upload, "name", "") or "")[:255]
            reply.content_type = described.content_type
            reply.size = described.size
            reply.file.save(f"{uuid.uuid4().hex}.{described.extension}", upload, save=False)
        reply.save()
        recommendation.status = RecommendationStatus.ANSWERED
        recommendation.save(update_fields=["status"])
    return reply


# -- the leader's decision ----------------------------------------------------------------------------
def _decide(user, recommendation: Recommendation, decision: str, note: str) -> Recommendation:
    with transaction.atomic():
        recommendation = _locked(recommendation.pk)
        if not can_decide(user, recommendation):
            raise InspectionError("Chỉ trưởng đoàn hoặc đơn vị kiểm tra mới đóng hoặc mở lại được kiến nghị.",
                                  "Only the team leader or the inspecting unit may close or reopen a recommendation.",
                                  code="permission_denied")
        reply = latest_answer(recommendation)
        if decision == RecommendationStatus.CLOSED:
            if recommendation.status == RecommendationStatus.CLOSED:
                raise InspectionError("Kiến nghị đã được đóng.", "The recommendation is already closed.", code="closed")
        elif recommendation.status not in (RecommendationStatus.ANSWERED, RecommendationStatus.CLOSED):
            raise InspectionError("Chỉ mở lại được kiến nghị đã báo cáo kết quả hoặc đã đóng.",
                                  "Only an answered or closed recommendation can be reopened.", code="not_answered")
        now = timezone.now()
        if reply is not None:
            reply.decision, reply.decision_note, reply.decided_by, reply.decided_at = decision, note, user, now
            reply.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
        recommendation.status = decision
        closing = decision == RecommendationStatus.CLOSED
        recommendation.closed_at, recommendation.closed_by = (now, user) if closing else (None, None)
        recommendation.save(update_fields=["status", "closed_at", "closed_by"])
    return recommendation


def close(user, recommendation: Recommendation, note: str = "") -> Recommendation:
    return _decide(user, recommendation, RecommendationStatus.CLOSED, (note or "").strip())


def reopen(user, recommendation: Recommendation, note: str) -> Recommendation:
    note = (note or "").strip()
    if not note:
        raise InspectionError("Cần ghi lý do yêu cầu tiếp tục thực hiện.", "Give the reason for reopening.", code="note")
    return _decide(user, recommendation, RecommendationStatus.REOPENED, note)


# -- reminders ----------------------------------------------------------------------------------------
def recommendation_reminders(rule, today: date, window: tuple[date, date]) -> list:
    """Recommendations not closed whose deadline falls in the step's window: one reminder each, to
    the inspected unit's users who may act for it and to the team leader."""
    from reviews.reminders import Reminder, days_text, fmt_day  # imported late: reviews is loaded first

    earliest, latest = window
    recommendations = list(
        Recommendation.objects.filter(deadline__range=(earliest, latest))
        .exclude(status=RecommendationStatus.CLOSED)
        .select_related("inspection__unit", "inspection__plan__unit").order_by("pk")
    )
    leaders: dict[int, list] = {}
    for member in (TeamMember.objects.filter(team_id__in={r.inspection.team_id for r in recommendations},
                                             role=TeamRole.LEADER, user__isnull=False, user__is_active=True)
                   .select_related("user").order_by("team_id", "order", "pk")):
        leaders.setdefault(member.team_id, []).append(member.user)
    reminders = []
    for rec in recommendations:
        inspection = rec.inspection
        inspected, inspecting = inspection.unit, inspection.plan.unit
        vi, en = days_text(rec.deadline, today)
        leader_url = reverse("recommendation-detail", args=[inspecting.code, rec.pk])
        reminders.append(Reminder(
            target=f"recommendation:{rec.pk}:{rec.deadline.isoformat()}", unit=inspected,
            text=(f"Kiến nghị {rec.number} sau kiểm tra tại {inspected.name} ({rec.get_status_display().lower()}): "
                  f"hạn {fmt_day(rec.deadline)} ({vi})."),
            text_en=f"Recommendation {rec.number} after the inspection of {inspected.name}: due {rec.deadline:%Y-%m-%d} ({en}).",
            url=reverse("recommendation-detail", args=[inspected.code, rec.pk]),
            also_tell=[(user, inspecting, leader_url) for user in leaders.get(inspection.team_id, [])],
        ))
    return reminders
