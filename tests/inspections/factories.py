"""Shared helpers of the inspection tests (engineer I1 owns this file; others ADD functions at the end).

``make_inspection_setup(tree)`` builds what an inspection of Điện Biên's branch needs: province
11's issued seed-like plan, the plans of 094, 095, 03127, 03151 derived from it (the real
derivation) and issued, their reports for the year opened with some progress recorded, an
inspection plan of province 11 inspecting those four units, and one team (db.cadre leading,
db.hnd.liaison of a member organization, an outside expert without an account).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from inspections.models import Inspection, InspectionPlan, Team, TeamMember, TeamRole
from inspections.services.plans import issue_plan
from plans.models import PlanDocument
from plans.services.derivation import derive_plan
from plans.services.guidance import issue
from reviews.models import ProgressStatus, UnitReport
from reviews.services.progress import record_progress
from reviews.services.reports import open_reports
from tests.plans.factories import seed_like_plan

INSPECTED = ("094", "095", "03127", "03151")
# Each derived plan comes from the issued plan of the unit just above it.
PARENT = {"094": "11", "095": "11", "03127": "094", "03151": "095"}


@dataclass
class InspectionSetup:
    year: int
    province_plan: PlanDocument
    plans: dict  # unit code -> issued derived PlanDocument
    reports: dict  # unit code -> UnitReport of ``year``
    plan: InspectionPlan
    inspections: dict  # unit code -> Inspection
    team: Team
    leader: TeamMember
    liaison: TeamMember
    expert: TeamMember
    extra: dict = field(default_factory=dict)


def derive_issued(parent_plan: PlanDocument, unit) -> PlanDocument:
    return issue(derive_plan(parent_plan, unit))


def record_some_progress(report: UnitReport, user, count: int = 2) -> list:
    """Mark the first ``count`` progress rows of ``report`` as in progress (recorded as ``user``)."""
    rows = list(report.progress.order_by("pk")[:count])
    return [
        record_progress(row, user=user, status=ProgressStatus.IN_PROGRESS, percent=50, narrative=f"Đã triển khai {i + 1}")
        for i, row in enumerate(rows)
    ]


def make_inspection_plan(tree, unit_code: str = "11", *, year: int = 2025, codes=INSPECTED, **fields) -> InspectionPlan:
    """A draft inspection plan of ``unit_code`` (models directly) with one inspection per code."""
    values = {
        "number": "05", "symbol": "KH-MTTQ-BTT", "place": "Điện Biên", "date": date(year, 9, 1),
        "title": f"Kế hoạch kiểm tra việc thực hiện Chỉ thị 18-CT/TW năm {year}", "year": year,
        "purpose": "Đánh giá kết quả thực hiện.", "content": "Kiểm tra việc xây dựng và thực hiện kế hoạch.",
        "start_date": date(year, 10, 1), "end_date": date(year, 10, 31),
        "signer_on_behalf": "TM. BAN THƯỜNG TRỰC", "signer_title": "PHÓ CHỦ TỊCH", "signer_name": "Nguyễn Văn A",
        **fields,
    }
    plan = InspectionPlan.objects.create(unit=tree[unit_code], **values)
    for offset, code in enumerate(codes):
        Inspection.objects.create(
            plan=plan, unit=tree[code],
            window_start=date(year, 10, 1 + 5 * offset), window_end=date(year, 10, 5 + 5 * offset),
        )
    return plan


def make_team(tree, plan: InspectionPlan, *, name: str = "Đoàn kiểm tra số 1") -> Team:
    """A team: db.cadre leading, db.hnd.liaison (member organization), an outside expert."""
    team = Team.objects.create(
        plan=plan, name=name, decision_number="12", decision_symbol="QĐ-MTTQ-BTT",
        decision_date=plan.start_date, duties="Kiểm tra theo kế hoạch.",
    )
    cadre, liaison = tree.user("db.cadre"), tree.user("db.hnd.liaison")
    TeamMember.objects.create(team=team, user=cadre, name="Lò Văn Cán", title="Ủy viên Ban Thường trực",
                              organization=tree["11"].name, from_unit=tree["11"], role=TeamRole.LEADER, order=1)
    TeamMember.objects.create(team=team, user=liaison, name="Quàng Thị Liên", title="Phó Chủ tịch Hội Nông dân tỉnh",
                              organization=tree["11-HND"].name, from_unit=tree["11-HND"], role=TeamRole.MEMBER, order=2)
    TeamMember.objects.create(team=team, user=None, name="Trần Văn Chuyên", title="Chuyên gia",
                              organization="Trường Chính trị tỉnh", role=TeamRole.EXPERT, order=3)
    return team


def make_inspection_setup(tree, *, year: int = 2025, issued: bool = False) -> InspectionSetup:
    """The branch's inspection, its plan a draft (``issued=True``: issued by db.chair through the
    service, which opens the team's time-boxed access)."""
    province_plan = seed_like_plan(tree["11"])
    plans = {"11": province_plan}
    for code in INSPECTED:
        plans[code] = derive_issued(plans[PARENT[code]], tree[code])
    del plans["11"]
    open_reports([tree[code] for code in INSPECTED], year)
    reports = {r.unit.code: r for r in UnitReport.objects.filter(unit__code__in=INSPECTED, year=year).select_related("unit")}
    root = tree.user("root")
    for report in reports.values():
        record_some_progress(report, root)
    plan = make_inspection_plan(tree, year=year)
    team = make_team(tree, plan)
    plan.inspections.update(team=team)
    if issued:
        plan = issue_plan(plan, user=tree.user("db.chair"))
    members = {m.role: m for m in team.members.all()}
    return InspectionSetup(
        year=year, province_plan=province_plan, plans=plans, reports=reports, plan=plan,
        inspections={i.unit.code: i for i in plan.inspections.select_related("unit", "team", "plan__unit")},
        team=team, leader=members[TeamRole.LEADER], liaison=members[TeamRole.MEMBER], expert=members[TeamRole.EXPERT],
    )


# -- findings, conclusions and recommendations (engineer I3) --------------------------------------------
def make_team_inspection(tree, code: str = "03127"):
    """The light set-up of the conclusion tests: province 11's inspection plan with its team (no
    derived plans nor reports), and the inspection of ``code``."""
    plan = make_inspection_plan(tree)
    team = make_team(tree, plan)
    plan.inspections.update(team=team)
    return Inspection.objects.select_related("plan__unit", "unit", "team").get(plan=plan, unit__code=code)


def conclude_with_recommendations(tree, inspection, deadlines, *, day=None):
    """Findings, assessment and the conclusion (by the team leader db.cadre), with one recommendation
    per deadline; returns the inspection (concluded) and its recommendations in order."""
    from inspections.services import conclusions

    leader = tree.user("db.cadre")
    conclusions.record_findings(leader, inspection, findings="Đã ban hành kế hoạch; chưa báo cáo HĐND.",
                                internal_notes="Ghi chép nội bộ: cán bộ phường trả lời chậm.", assessment="fair",
                                assessment_text="Thực hiện khá.")
    rows = [conclusions.RecommendationInput(text=f"Kiến nghị số {i}: bổ sung hồ sơ giám sát.", responsible="Ban Thường trực phường",
                                            deadline=deadline)
            for i, deadline in enumerate(deadlines, start=1)]
    inspection = conclusions.conclude(leader, inspection, number="07", symbol="KL-MTTQ-BTT",
                                      conclusion_date=day or min(deadlines, default=date(2025, 10, 20)),
                                      text="Yêu cầu phường khắc phục các hạn chế.", recommendations=rows)
    return inspection, list(inspection.recommendations.order_by("number"))
