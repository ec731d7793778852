"""Inspection plans, teams and inspections through the services (inspections.services.plans)."""
from datetime import date

import pytest

from inspections.models import InspectionPlanStatus, InspectionStatus, TeamAccess, TeamRole
from inspections.services import plans as service
from inspections.services.errors import InspectionError
from inspections.services.rules import (
    can_fill_checklist, can_manage_plan, is_inspected_side, is_inspecting_side, is_team_leader, is_team_member,
    sees_internal,
)
from tests.inspections.factories import make_inspection_plan, make_inspection_setup, make_team

pytestmark = pytest.mark.django_db

PLAN = {"title": "Kế hoạch kiểm tra năm 2025", "start_date": date(2025, 10, 1), "end_date": date(2025, 10, 31)}


def test_setup_builds_the_branch_with_reports_and_a_team(tree):
    setup = make_inspection_setup(tree)
    assert set(setup.inspections) == {"094", "095", "03127", "03151"}
    assert all(p.status == "issued" for p in setup.plans.values())
    assert setup.plans["03127"].parent_plan == setup.plans["094"]
    assert setup.reports["03127"].progress.exclude(percent=None).count() == 2
    assert setup.expert.user is None and setup.liaison.user == tree.user("db.hnd.liaison")
    assert setup.plan.status == InspectionPlanStatus.DRAFT


def test_cadre_creates_a_plan_over_units_of_the_subtree(tree):
    plan = service.create_plan(tree["11"], user=tree.user("db.cadre"), inspected_units=[tree["094"], tree["03151"]],
                               windows={tree["03151"].pk: (date(2025, 10, 20), date(2025, 10, 25))}, **PLAN)
    assert plan.unit == tree["11"] and plan.year == 2025 and plan.status == InspectionPlanStatus.DRAFT
    windows = {i.unit.code: (i.window_start, i.window_end) for i in plan.inspections.all()}
    assert windows == {"094": (date(2025, 10, 1), date(2025, 10, 31)), "03151": (date(2025, 10, 20), date(2025, 10, 25))}


@pytest.mark.parametrize("code", ["01", "00001", "11", "TW"])
def test_units_outside_the_subtree_are_refused_in_both_languages(tree, code):
    with pytest.raises(InspectionError) as refused:
        service.create_plan(tree["11"], user=tree.user("db.cadre"), inspected_units=[tree[code]], **PLAN)
    assert refused.value.code == "outside_subtree"
    assert "không thuộc phạm vi kiểm tra" in refused.value.message_vi and "subtree" in refused.value.message_en
    assert not tree["11"].inspection_plans.exists()


def test_adding_a_sibling_to_a_district_plan_is_refused(tree):
    plan = make_inspection_plan(tree, "094", codes=("03127",))
    with pytest.raises(InspectionError):
        service.add_inspection(plan, tree["03151"], user=tree.user("dbp.cadre"))
    inspection = service.add_inspection(plan, tree["03124"], user=tree.user("dbp.cadre"),
                                        window_start=date(2025, 10, 2), window_end=date(2025, 10, 3))
    assert inspection.unit.code == "03124"


def test_others_may_not_create_or_edit_the_plan(tree):
    for username in ("db.viewer", "dbp.cadre", "hn.chair", "db.hnd.liaison"):
        with pytest.raises(InspectionError) as refused:
            service.create_plan(tree["11"], user=tree.user(username), **PLAN)
        assert refused.value.code == "permission_denied"
    plan = make_inspection_plan(tree)
    with pytest.raises(InspectionError):
        service.update_plan(plan, user=tree.user("dbp.cadre"), title="x")
    plan.refresh_from_db()
    assert plan.title != "x"


def test_bad_dates_and_windows_are_refused(tree):
    cadre = tree.user("db.cadre")
    with pytest.raises(InspectionError):
        service.create_plan(tree["11"], user=cadre, **{**PLAN, "end_date": date(2025, 9, 1)})
    plan = make_inspection_plan(tree)
    inspection = plan.inspections.get(unit__code="094")
    with pytest.raises(InspectionError) as refused:
        service.set_window(inspection, user=cadre, window_start=date(2025, 10, 5), window_end=date(2025, 10, 4))
    assert refused.value.code == "invalid_dates"
    with pytest.raises(InspectionError) as refused:
        service.set_window(inspection, user=cadre, window_start=date(2025, 9, 5), window_end=date(2025, 10, 4))
    assert refused.value.code == "window_outside_plan"
    with pytest.raises(InspectionError):  # the plan's dates must still hold every window
        service.update_plan(plan, user=cadre, end_date=date(2025, 10, 10))
    service.set_window(inspection, user=cadre, window_start=date(2025, 10, 2), window_end=date(2025, 10, 9))
    inspection.refresh_from_db()
    assert (inspection.window_start, inspection.window_end) == (date(2025, 10, 2), date(2025, 10, 9))


def test_team_by_decision_with_members_of_any_unit_and_an_outside_expert(tree):
    plan = make_inspection_plan(tree)
    team = service.create_team(plan, user=tree.user("db.cadre"), name="Đoàn số 2", decision_number="15",
                               decision_symbol="QĐ-MTTQ-BTT", members=[
                                   {"user": tree.user("db.chair"), "role": TeamRole.LEADER},
                                   {"user": tree.user("dbp.cadre").pk, "name": "Lường Văn B", "from_unit": tree["094"]},
                                   {"user": None, "name": "Chuyên gia C", "organization": "Sở Tư pháp",
                                    "role": TeamRole.EXPERT},
                               ])
    members = list(team.members.all())
    assert [m.order for m in members] == [1, 2, 3]
    assert members[0].name == "db.chair" and members[2].user is None
    with pytest.raises(InspectionError) as refused:
        service.add_member(team, user=tree.user("db.cadre"), user_id=None, name="X")
    with pytest.raises(InspectionError) as refused:
        service.add_member(team, user=tree.user("db.cadre"), name="")
    assert refused.value.code == "required"
    with pytest.raises(InspectionError) as refused:
        service.add_member(team, user=tree.user("db.cadre"), account=tree.user("db.chair"))
    assert refused.value.code == "duplicate"
    assert team.members.count() == 3


def test_assigning_a_team_of_another_plan_is_refused(tree):
    plan, other = make_inspection_plan(tree), make_inspection_plan(tree, codes=("094",))
    team = make_team(tree, other)
    with pytest.raises(InspectionError) as refused:
        service.assign_team(plan.inspections.first(), team, user=tree.user("db.cadre"))
    assert refused.value.code == "foreign_team"


def test_issue_needs_manage_and_a_draft_with_units(tree):
    setup = make_inspection_setup(tree)
    with pytest.raises(InspectionError) as refused:
        service.issue_plan(setup.plan, user=tree.user("db.cadre"))  # a cadre drafts; the board issues
    assert refused.value.code == "permission_denied"
    empty = make_inspection_plan(tree, codes=())
    with pytest.raises(InspectionError) as refused:
        service.issue_plan(empty, user=tree.user("db.chair"))
    assert refused.value.code == "empty"
    plan = service.issue_plan(setup.plan, user=tree.user("db.chair"))
    assert plan.status == InspectionPlanStatus.ISSUED
    assert TeamAccess.objects.filter(inspection__plan=plan).count() == 8  # 4 units x 2 members with an account
    with pytest.raises(InspectionError):
        service.issue_plan(plan, user=tree.user("db.chair"))
    with pytest.raises(InspectionError):  # units are dropped only from a draft
        service.remove_inspection(setup.inspections["094"], user=tree.user("db.chair"))


def test_cancel_one_inspection_then_the_plan(tree):
    setup = make_inspection_setup(tree)
    chair = tree.user("db.chair")
    service.issue_plan(setup.plan, user=chair)
    with pytest.raises(InspectionError) as refused:
        service.cancel_inspection(setup.inspections["094"], user=chair, reason="  ")
    assert refused.value.code == "reason_required"
    service.cancel_inspection(setup.inspections["094"], user=chair, reason="Trùng lịch")
    assert setup.plan.inspections.get(unit__code="094").status == InspectionStatus.CANCELLED
    with pytest.raises(InspectionError):
        service.cancel_inspection(setup.inspections["094"], user=chair, reason="lại")
    plan = service.cancel_plan(setup.plan, user=chair, reason="Thay đổi kế hoạch")
    assert plan.status == InspectionPlanStatus.CANCELLED and plan.cancel_reason == "Thay đổi kế hoạch"
    assert set(plan.inspections.values_list("status", flat=True)) == {InspectionStatus.CANCELLED}
    with pytest.raises(InspectionError) as refused:
        service.update_plan(plan, user=chair, title="mới")
    assert refused.value.code == "locked"


def test_rules(tree):
    setup = make_inspection_setup(tree)
    himlam = setup.inspections["03127"]
    cadre, liaison, himlam_cadre = tree.user("db.cadre"), tree.user("db.hnd.liaison"), tree.user("himlam.cadre")
    assert can_manage_plan(cadre, setup.plan) and not can_manage_plan(liaison, setup.plan)
    assert is_team_leader(cadre, himlam) and is_team_member(liaison, himlam) and not is_team_leader(liaison, himlam)
    assert can_fill_checklist(liaison, himlam) and not can_fill_checklist(himlam_cadre, himlam)
    assert is_inspected_side(himlam_cadre, himlam) and not is_inspected_side(himlam_cadre, setup.inspections["03151"])
    assert not is_inspected_side(cadre, himlam) and is_inspecting_side(tree.user("db.viewer"), himlam)
    assert sees_internal(liaison, himlam) and not sees_internal(himlam_cadre, himlam)
    himlam.status = InspectionStatus.CONCLUDED
    himlam.save()
    assert sees_internal(himlam_cadre, himlam) and not can_fill_checklist(liaison, himlam)
