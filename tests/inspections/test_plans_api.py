"""Inspection plans, teams and inspections over the API (/api/v1/inspection-plans/, ...)."""
import pytest
from django.urls import reverse

from inspections.models import InspectionPlan, InspectionPlanStatus, InspectionStatus, TeamAccess
from inspections.services import plans as service
from tests.api.helpers import assert_json_error, session_client, token_client
from tests.inspections.factories import make_inspection_plan, make_inspection_setup

pytestmark = pytest.mark.django_db

PLAN = {"unit": "11", "title": "Kiểm tra Chỉ thị 18 năm 2025", "number": "07", "symbol": "KH-MTTQ-BTT",
        "start_date": "2025-10-01", "end_date": "2025-10-31"}


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs=kwargs)


def test_create_a_plan_with_its_units_and_windows(tree):
    client = session_client(tree.user("db.cadre"))
    response = client.post(url("inspection-plan-list"), {**PLAN, "inspections": [
        {"unit": "094"}, {"unit": "03151", "window_start": "2025-10-20", "window_end": "2025-10-22"}]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit"] == "11" and body["status"] == "draft" and body["year"] == 2025 and body["number_symbol"] == "07/KH-MTTQ-BTT"
    windows = {row["unit"]: (row["window_start"], row["window_end"]) for row in body["inspections"]}
    assert windows == {"094": ("2025-10-01", "2025-10-31"), "03151": ("2025-10-20", "2025-10-22")}


@pytest.mark.parametrize("code", ["00001", "11"])
def test_a_unit_outside_the_subtree_is_refused_in_both_languages(tree, code):
    client = session_client(tree.user("db.cadre"))
    response = client.post(url("inspection-plan-list"), {**PLAN, "inspections": [{"unit": code}]}, format="json")
    assert_json_error(response, 400)
    assert "subtree" in response.content.decode()
    assert not InspectionPlan.objects.exists()


def test_others_may_not_create_issue_or_cancel(tree):
    setup = make_inspection_setup(tree)
    response = session_client(tree.user("dbp.cadre")).post(url("inspection-plan-list"), PLAN, format="json")
    assert_json_error(response, 400)  # 11 is not a unit dbp.cadre acts for
    response = session_client(tree.user("db.cadre")).post(url("inspection-plan-issue", uuid=setup.plan.uuid))
    assert_json_error(response, 403)
    response = session_client(tree.user("hn.chair")).post(url("inspection-plan-issue", uuid=setup.plan.uuid))
    assert_json_error(response, 404)
    client, _ = token_client(tree.user("db.chair"), read_only=True)
    assert_json_error(client.post(url("inspection-plan-issue", uuid=setup.plan.uuid)), 403)
    setup.plan.refresh_from_db()
    assert setup.plan.status == InspectionPlanStatus.DRAFT


def test_issue_then_cancel_one_inspection_then_the_plan(tree):
    setup = make_inspection_setup(tree)
    client = session_client(tree.user("db.chair"))
    response = client.post(url("inspection-plan-issue", uuid=setup.plan.uuid))
    assert response.status_code == 200 and response.json()["status"] == "issued"
    assert TeamAccess.objects.filter(revoked_at__isnull=True).count() == 8
    himlam = setup.inspections["03127"]
    assert_json_error(client.post(url("inspection-cancel", uuid=himlam.uuid), {"reason": ""}, format="json"), 400)
    response = client.post(url("inspection-cancel", uuid=himlam.uuid), {"reason": "Sáp nhập"}, format="json")
    assert response.json()["status"] == InspectionStatus.CANCELLED
    response = client.post(url("inspection-plan-cancel", uuid=setup.plan.uuid), {"reason": "Dừng"}, format="json")
    assert response.json()["status"] == "cancelled" and response.json()["cancel_reason"] == "Dừng"
    assert not TeamAccess.objects.filter(revoked_at__isnull=True).exists()


def test_teams_with_members_and_outside_experts_then_assignment_and_window(tree):
    plan = make_inspection_plan(tree, codes=("03127",))
    client = session_client(tree.user("db.cadre"))
    response = client.post(url("inspection-team-list"), {
        "plan": str(plan.uuid), "name": "Đoàn số 3", "decision_number": "30", "decision_symbol": "QĐ-MTTQ-BTT",
        "members": [{"username": "db.hnd.liaison", "name": "Quàng Thị Liên", "role": "leader", "from_unit": "11-HND"},
                    {"name": "Chuyên gia D", "organization": "Trường Chính trị", "role": "expert"}]}, format="json")
    assert response.status_code == 201, response.content
    team = response.json()
    assert [(m["username"], m["role"], m["from_unit"]) for m in team["members"]] == [
        ("db.hnd.liaison", "leader", "11-HND"), (None, "expert", None)]
    response = client.post(url("inspection-team-list"), {"plan": str(plan.uuid), "name": "X",
                                                         "members": [{"username": "khong.co"}]}, format="json")
    assert_json_error(response, 400)
    inspection = plan.inspections.get()
    response = client.post(url("inspection-team", uuid=inspection.uuid), {"team": team["uuid"]}, format="json")
    assert response.json()["team"] == team["uuid"]
    response = client.post(url("inspection-window", uuid=inspection.uuid),
                           {"window_start": "2025-10-09", "window_end": "2025-10-08"}, format="json")
    assert_json_error(response, 400)
    response = client.post(url("inspection-window", uuid=inspection.uuid),
                           {"window_start": "2025-10-08", "window_end": "2025-10-09"}, format="json")
    assert (response.json()["window_start"], response.json()["window_end"]) == ("2025-10-08", "2025-10-09")


def test_lists_through_the_restriction(tree, django_assert_max_num_queries):
    setup = make_inspection_setup(tree)
    service.issue_plan(setup.plan, user=tree.user("db.chair"))
    make_inspection_plan(tree, "01", codes=("001",))
    viewer = session_client(tree.user("db.viewer"))
    with django_assert_max_num_queries(10):
        response = viewer.get(url("inspection-plan-list"))
    assert [row["uuid"] for row in response.json()["results"]] == [str(setup.plan.uuid)]
    rows = session_client(tree.user("himlam.cadre")).get(url("inspection-list")).json()["results"]
    assert [row["unit"] for row in rows] == ["03127"]  # its own inspection, not the others
    rows = session_client(tree.user("db.hnd.liaison")).get(url("inspection-list")).json()["results"]
    assert len(rows) == 4  # a team member
    assert session_client(tree.user("himlam.cadre")).get(url("inspection-plan-list")).json()["results"] == []
    response = session_client(tree.user("db.viewer")).get(url("inspection-team-list"), {"plan__uuid": setup.plan.uuid})
    assert [row["name"] for row in response.json()["results"]] == ["Đoàn kiểm tra số 1"]
    assert_json_error(session_client(tree.user("hn.chair")).get(url("inspection-team-detail", uuid=setup.team.uuid)), 404)
