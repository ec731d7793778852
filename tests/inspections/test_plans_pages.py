"""Inspection plan pages: /u/<code>/inspections/plans/..."""
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections.models import InspectionPlan, InspectionPlanStatus, InspectionStatus, TeamAccess, TeamRole
from inspections.services import plans as service
from tests.conftest import PASSWORD
from tests.inspections.factories import make_inspection_plan, make_inspection_setup, make_team

pytestmark = pytest.mark.django_db


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def detail_url(plan, code="11"):
    return reverse("inspection-plan-detail", kwargs={"code": code, "uuid": plan.uuid})


def action_url(name, plan, code="11", **kwargs):
    return reverse(name, kwargs={"code": code, "uuid": plan.uuid, **kwargs})


def docx_text(content: bytes) -> str:
    document = Document(BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(texts)


PLAN_FORM = {"title": "Kiểm tra thực hiện Chỉ thị 18 năm 2025", "number": "", "symbol": "KH-MTTQ-BTT", "place": "Điện Biên",
             "date": "", "purpose": "", "content": "", "schedule": "", "start_date": "2025-10-01", "end_date": "2025-10-31",
             "signer_on_behalf": "TM. BAN THƯỜNG TRỰC", "signer_title": "", "signer_name": ""}


def test_cadre_creates_a_plan_choosing_units_of_the_subtree(tree, client):
    login(client, "db.cadre")
    page = client.get(reverse("inspection-plan-new", kwargs={"code": "11"}))
    assert page.status_code == 200
    choices = {unit.code for unit in page.context["form"].fields["inspected_units"].queryset}
    assert {"094", "03127", "095", "03151"} <= choices and not choices & {"11", "01", "001", "00001", "TW"}
    response = client.post(reverse("inspection-plan-new", kwargs={"code": "11"}),
                           {**PLAN_FORM, "inspected_units": [tree["094"].pk, tree["03151"].pk]})
    plan = InspectionPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(plan)
    assert set(plan.inspections.values_list("unit__code", flat=True)) == {"094", "03151"}


def test_a_unit_outside_the_subtree_is_refused_and_what_was_typed_is_kept(tree, client):
    login(client, "db.cadre")
    response = client.post(reverse("inspection-plan-new", kwargs={"code": "11"}),
                           {**PLAN_FORM, "inspected_units": [tree["00001"].pk]})
    assert response.status_code == 200 and not InspectionPlan.objects.exists()
    assert response.context["form"]["title"].value() == PLAN_FORM["title"]
    response = client.post(reverse("inspection-plan-new", kwargs={"code": "11"}), {**PLAN_FORM, "end_date": "2025-09-01"})
    assert "ngày kết thúc phải sau" in response.content.decode() and "must end on or after" in response.content.decode()
    assert not InspectionPlan.objects.exists()


def test_adding_a_foreign_unit_on_the_plan_page_is_refused_in_both_languages(tree, client):
    plan = make_inspection_plan(tree, "094", codes=("03127",))
    login(client, "dbp.cadre")
    response = client.post(action_url("inspection-plan-add-inspection", plan, "094"),
                           {"unit": tree["03124"].pk, "window_start": "2025-10-02", "window_end": "2025-10-01"})
    assert response.status_code == 400
    assert "must end on or after" in response.content.decode()
    assert response.context["add_form"]["window_start"].value() == "2025-10-02"  # kept
    response = client.post(action_url("inspection-plan-add-inspection", plan, "094"),
                           {"unit": tree["03124"].pk, "window_start": "2025-10-02", "window_end": "2025-10-03"}, follow=True)
    assert response.status_code == 200
    assert set(plan.inspections.values_list("unit__code", flat=True)) == {"03127", "03124"}


def test_detail_shows_inspections_teams_members_windows_and_the_buttons_of_who_may(tree, client):
    setup = make_inspection_setup(tree)
    login(client, "db.chair")
    page = client.get(detail_url(setup.plan))
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("phường Him Lam", "Đoàn kiểm tra số 1", "Quàng Thị Liên", "Trần Văn Chuyên", "Trưởng đoàn",
                 "11/10/2025", "15/10/2025", "Ban hành kế hoạch", "Hủy kế hoạch"):
        assert text in html, text
    login(client, "db.viewer")
    html = client.get(detail_url(setup.plan)).content.decode()
    assert "phường Him Lam" in html and "Ban hành kế hoạch" not in html and "Thêm thành viên" not in html
    for username, code in (("hn.chair", "11"), ("himlam.cadre", "03127"), ("dbp.cadre", "094")):
        login(client, username)
        assert client.get(detail_url(setup.plan, code)).status_code == 404, username


def test_issue_and_cancel_through_the_pages(tree, client):
    setup = make_inspection_setup(tree)
    login(client, "db.cadre")  # a cadre drafts but may not issue
    response = client.post(action_url("inspection-plan-issue", setup.plan))
    assert response.status_code == 400 and "may not act" in response.content.decode()
    login(client, "db.chair")
    response = client.post(action_url("inspection-plan-issue", setup.plan))
    assert response.status_code == 302
    setup.plan.refresh_from_db()
    assert setup.plan.status == InspectionPlanStatus.ISSUED and TeamAccess.objects.count() == 8
    himlam = setup.inspections["03127"]
    response = client.post(action_url("inspection-cancel", setup.plan, inspection=himlam.uuid), {"reason": ""})
    assert response.status_code == 400 and "reason" in response.content.decode()
    client.post(action_url("inspection-cancel", setup.plan, inspection=himlam.uuid), {"reason": "Sáp nhập"})
    himlam.refresh_from_db()
    assert himlam.status == InspectionStatus.CANCELLED
    assert TeamAccess.objects.filter(revoked_at__isnull=False).count() == 2
    client.post(action_url("inspection-plan-cancel", setup.plan), {"reason": "Dừng"})
    setup.plan.refresh_from_db()
    assert setup.plan.status == InspectionPlanStatus.CANCELLED
    assert not TeamAccess.objects.filter(revoked_at__isnull=True).exists()


def test_teams_members_windows_and_assignment_through_the_pages(tree, client):
    plan = make_inspection_plan(tree, codes=("03127",))
    login(client, "db.cadre")
    response = client.post(action_url("inspection-team-new", plan), {"name": "Đoàn số 2", "decision_number": "20",
                                                                     "decision_symbol": "QĐ-MTTQ-BTT", "decision_date": "2025-09-20",
                                                                     "duties": "Kiểm tra"})
    assert response.status_code == 302
    team = plan.teams.get()
    url = action_url("inspection-team-add-member", plan, team=team.uuid)
    response = client.post(url, {"username": "khong.co", "name": "", "role": "member"})
    assert response.status_code == 400 and "No account" in response.content.decode()
    client.post(url, {"username": "db.hnd.liaison", "name": "Quàng Thị Liên", "role": TeamRole.LEADER})
    client.post(url, {"username": "", "name": "Chuyên gia", "organization": "Sở Nội vụ", "role": TeamRole.EXPERT})
    assert list(team.members.values_list("name", "user__username")) == [("Quàng Thị Liên", "db.hnd.liaison"), ("Chuyên gia", None)]
    inspection = plan.inspections.get()
    client.post(action_url("inspection-assign-team", plan, inspection=inspection.uuid), {f"t{inspection.pk}-team": team.pk})
    client.post(action_url("inspection-window", plan, inspection=inspection.uuid),
                {f"w{inspection.pk}-window_start": "2025-10-03", f"w{inspection.pk}-window_end": "2025-10-07"})
    inspection.refresh_from_db()
    assert inspection.team == team and (inspection.window_start, inspection.window_end) == (date(2025, 10, 3), date(2025, 10, 7))
    expert = team.members.get(user__isnull=True)
    client.post(action_url("inspection-team-remove-member", plan, team=team.uuid, member=expert.pk))
    assert team.members.count() == 1
    login(client, "db.viewer")  # reads, may not change
    response = client.post(url, {"username": "", "name": "X", "role": "member"})
    assert response.status_code == 400 and team.members.count() == 1


def test_list_shows_the_units_plans_and_its_own_inspections_only(tree, client):
    setup = make_inspection_setup(tree)
    service.issue_plan(setup.plan, user=tree.user("db.chair"))
    login(client, "db.cadre")
    page = client.get(reverse("inspection-plan-list", kwargs={"code": "11"}))
    assert list(page.context["plans"]) == [setup.plan]
    login(client, "himlam.cadre")
    page = client.get(reverse("inspection-plan-list", kwargs={"code": "03127"}))
    assert list(page.context["own_inspections"]) == [setup.inspections["03127"]]
    assert not page.context["plans"] and "phường Sông Đà" not in page.content.decode()
    login(client, "db.hnd.liaison")  # a member organization's member sees the inspections of their team
    page = client.get(reverse("inspection-plan-list", kwargs={"code": "11-HND"}))
    assert len(page.context["team_inspections"]) == 4


def test_docx_downloads_in_the_decree_30_layout(tree, client, django_assert_max_num_queries):
    setup = make_inspection_setup(tree)
    login(client, "db.viewer")
    with django_assert_max_num_queries(12):
        response = client.get(action_url("inspection-plan-docx", setup.plan))
    assert response["Content-Disposition"] == 'attachment; filename="05-KH-MTTQ-BTT.docx"'
    text = docx_text(response.content)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Số: 05/KH-MTTQ-BTT", "KẾ HOẠCH", "phường Him Lam: từ ngày 11/10/2025",
                     "Quàng Thị Liên", "TM. BAN THƯỜNG TRỰC", "Điện Biên, ngày 01 tháng 9 năm 2025"):
        assert expected in text, expected
    response = client.get(action_url("inspection-team-docx", setup.plan, team=setup.team.uuid))
    text = docx_text(response.content)
    for expected in ("QUYẾT ĐỊNH", "Số: 12/QĐ-MTTQ-BTT", "Về việc thành lập Đoàn kiểm tra số 1",
                     "Ông (bà) Lò Văn Cán", "– Trưởng đoàn", "Điều 2", "phường Him Lam"):
        assert expected in text, expected
    login(client, "hn.chair")
    assert client.get(action_url("inspection-plan-docx", setup.plan)).status_code == 404


def test_plan_page_query_count_does_not_grow_with_inspections_or_members(tree, client):
    small = make_inspection_plan(tree, codes=("094",))
    make_team(tree, small)
    setup = make_inspection_setup(tree)
    service.add_member(setup.team, user=tree.user("db.cadre"), account=tree.user("dbp.cadre"), name="Lường Văn B")
    login(client, "db.chair")
    counts = []
    for plan in (small, setup.plan):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(plan)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] and counts[1] <= 30, counts
