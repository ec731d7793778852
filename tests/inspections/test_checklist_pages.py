"""The checklist page: who reaches it under which code, filling an item from a plain form or htmx,
the stale save of a second inspector, evidence, what the inspected side sees, query counts."""
import pathlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections.models import ChecklistEvidence, ChecklistItem, ChecklistResult, InspectionStatus, ItemSource
from inspections.services.checklists import attach_checklist_evidence, generate_checklist, record_result
from tests.inspections.factories import make_inspection_setup
from tests.reviews.report_factories import EXE, PDF, private_media, upload  # noqa: F401

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def setup(tree):
    return make_inspection_setup(tree)


@pytest.fixture
def himlam(setup, tree):
    inspection = setup.inspections["03127"]
    generate_checklist(inspection, user=tree.user("db.cadre"))
    return inspection


def page(code, inspection):
    return reverse("inspection-checklist", kwargs={"code": code, "uuid": inspection.uuid})


def item_url(code, item):
    return reverse("inspection-checklist-item", kwargs={"code": code, "uuid": item.inspection.uuid, "pk": item.pk})


def first_template_item(inspection):
    return ChecklistItem.objects.filter(inspection=inspection, source=ItemSource.TEMPLATE).order_by("order").first()


def as_user(client, tree, username):
    client.force_login(tree.user(username))
    return client


def form_data(item, result, note, version):
    prefix = f"item-{item.pk}"
    return {f"{prefix}-result": result, f"{prefix}-note": note, f"{prefix}-version": version}


def test_the_team_fills_the_checklist_under_the_inspecting_units_code(client, tree, himlam):
    # The liaison belongs to a member organization, not to unit 11: the page still opens under 11.
    response = as_user(client, tree, "db.hnd.liaison").get(page("11", himlam))
    assert response.status_code == 200
    body = response.content.decode()
    assert first_template_item(himlam).text in body
    assert "Đơn vị đã báo cáo:" in body and "Đã triển khai 1" in body
    assert 'type="radio"' in body and 'type="file"' in body
    assert 'hx-post="' in body  # saved in place where htmx runs; a plain form otherwise


@pytest.mark.parametrize("username, code", [
    ("hn.chair", "11"),  # another province
    ("himlam.cadre", "11"),  # the inspected side, under the inspecting unit's code: not theirs to hold
    ("db.cadre", "095"),  # a unit the inspection does not belong to
    ("db.cadre", "nope"),  # an unknown code
])
def test_others_get_the_same_404(client, tree, himlam, username, code):
    assert as_user(client, tree, username).get(page(code, himlam)).status_code == 404


def test_a_plain_post_saves_and_redirects_to_the_item(client, tree, himlam):
    item = first_template_item(himlam)
    response = as_user(client, tree, "db.cadre").post(item_url("11", item), form_data(item, "partly", "Thiếu biên bản", 1))
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    assert (item.result, item.note, item.version) == ("partly", "Thiếu biên bản", 2)


def test_an_htmx_post_answers_with_the_card(client, tree, himlam):
    item = first_template_item(himlam)
    response = as_user(client, tree, "db.cadre").post(item_url("11", item), form_data(item, "compliant", "Đủ", 1), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<li") and f'id="item-{item.pk}"' in body and "Đã lưu" in body
    assert f'name="item-{item.pk}-version" value="2"' in body


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_the_second_stale_save_is_refused_and_nothing_is_lost(client, tree, himlam, headers):
    item = first_template_item(himlam)
    leader = as_user(client, tree, "db.cadre")
    assert leader.post(item_url("11", item), form_data(item, "partly", "Thiếu biên bản hội nghị", 1)).status_code == 302

    # The liaison opened the page at version 1 and saves now.
    response = as_user(client, tree, "db.hnd.liaison").post(
        item_url("11", item), form_data(item, "compliant", "Hồ sơ đầy đủ theo liaison", 1), **headers)

    assert response.status_code == 200
    body = response.content.decode()
    assert "CHƯA được lưu" in body and "NOT saved" in body and "db.cadre" in body
    assert "Hồ sơ đầy đủ theo liaison" in body  # what they typed, still in the form
    assert re.search(r'<input[^>]*value="compliant"[^>]*checked', body)  # their choice too
    assert "Thiếu biên bản hội nghị" in body and "Đạt một phần" in body  # what is saved now
    assert f'name="item-{item.pk}-version" value="2"' in body  # saving again is a deliberate overwrite
    item.refresh_from_db()
    assert (item.result, item.note, item.version) == ("partly", "Thiếu biên bản hội nghị", 2)


def test_evidence_upload_type_check_and_download(client, tree, himlam, private_media):
    item = first_template_item(himlam)
    upload_url = reverse("inspection-checklist-evidence", kwargs={"code": "11", "uuid": himlam.uuid, "pk": item.pk})
    team = as_user(client, tree, "db.hnd.liaison")
    refused = team.post(upload_url, {f"evidence-{item.pk}-file": upload("bien-ban.pdf", EXE)})
    assert refused.status_code == 200 and "Loại tệp không được chấp nhận" in refused.content.decode()
    assert not ChecklistEvidence.objects.exists()

    assert team.post(upload_url, {f"evidence-{item.pk}-file": upload("bien-ban.pdf", PDF)}).status_code == 302
    evidence = ChecklistEvidence.objects.get(item=item)
    download = reverse("inspection-checklist-evidence-download",
                       kwargs={"code": "11", "uuid": himlam.uuid, "evidence": evidence.uuid})
    assert download in team.get(page("11", himlam)).content.decode()
    response = team.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment")

    inspected = as_user(client, tree, "himlam.cadre")
    inspected_download = reverse("inspection-checklist-evidence-download",
                                 kwargs={"code": "03127", "uuid": himlam.uuid, "evidence": evidence.uuid})
    assert inspected.get(inspected_download).status_code == 404
    assert as_user(client, tree, "hn.chair").get(download).status_code == 404


def test_the_inspected_side_sees_results_only_after_the_conclusion(client, tree, himlam, private_media):
    item = first_template_item(himlam)
    record_result(item, user=tree.user("db.cadre"), result=ChecklistResult.NOT_COMPLIANT,
                  note="Ghi chú nội bộ của đoàn", version=1)
    attach_checklist_evidence(item, upload("ho-so-doan.pdf", PDF), user=tree.user("db.cadre"))
    inspected = as_user(client, tree, "himlam.cadre")

    before = inspected.get(page("03127", himlam)).content.decode()
    assert item.text in before
    assert "Ghi chú nội bộ của đoàn" not in before and "Không đạt" not in before and "ho-so-doan.pdf" not in before
    assert 'type="radio"' not in before and 'type="file"' not in before
    refused = inspected.post(item_url("03127", item), form_data(item, "compliant", "Ý kiến của phường", 2)).content.decode()
    assert "Chỉ thành viên đoàn kiểm tra" in refused and "Ý kiến của phường" in refused
    assert "Ghi chú nội bộ của đoàn" not in refused and "db.cadre" not in refused.split("</header>")[-1]
    assert ChecklistItem.objects.get(pk=item.pk).note == "Ghi chú nội bộ của đoàn"

    type(himlam).objects.filter(pk=himlam.pk).update(status=InspectionStatus.CONCLUDED)
    after = inspected.get(page("03127", himlam)).content.decode()
    assert "Ghi chú nội bộ của đoàn" in after and "Không đạt" in after and "ho-so-doan.pdf" in after


def _add_items(inspection, count, user):
    ChecklistItem.objects.bulk_create([
        ChecklistItem(inspection=inspection, order=1000 + i, source=ItemSource.ADDED, group=f"Nhóm {i % 3}",
                      text=f"Mục bổ sung {i}", reported="Đã báo cáo", note="Ghi chú", updated_by=user)
        for i in range(count)
    ])
    # Evidence on every item: the n+1 query to catch.
    for item in ChecklistItem.objects.filter(inspection=inspection, evidence__isnull=True):
        attach_checklist_evidence(item, upload("a.pdf", PDF), user=user)


@pytest.mark.parametrize("username, code", [("db.cadre", "11"), ("db.viewer", "11"), ("himlam.cadre", "03127")],
                         ids=["team", "inspecting-side", "inspected-side"])
def test_the_page_costs_the_same_queries_for_5_and_30_items(client, tree, setup, private_media, username, code):
    inspection = setup.inspections["03127"]
    _add_items(inspection, 5, tree.user("db.cadre"))
    user_client = as_user(client, tree, username)
    user_client.get(page(code, inspection))  # warm up (content types, session)
    with CaptureQueriesContext(connection) as five:
        assert user_client.get(page(code, inspection)).content.decode().count('class="card checklist-item"') == 5
    _add_items(inspection, 25, tree.user("db.cadre"))
    with CaptureQueriesContext(connection) as thirty:
        assert user_client.get(page(code, inspection)).content.decode().count('class="card checklist-item"') == 30
    assert len(five) == len(thirty), [q["sql"] for q in thirty.captured_queries]
    assert len(five) <= 30


def test_the_generate_button(client, tree, setup):
    inspection = setup.inspections["094"]
    generate = reverse("inspection-checklist-generate", kwargs={"code": "11", "uuid": inspection.uuid})
    team = as_user(client, tree, "db.cadre")
    assert "Lập danh mục kiểm tra" in team.get(page("11", inspection)).content.decode()
    response = team.post(generate, follow=True)
    assert "Đã thêm" in response.content.decode()
    assert ChecklistItem.objects.filter(inspection=inspection, source=ItemSource.PLAN_TASK).exists()

    count = ChecklistItem.objects.filter(inspection=inspection).count()
    refused = as_user(client, tree, "dbp.cadre").post(
        reverse("inspection-checklist-generate", kwargs={"code": "094", "uuid": inspection.uuid}), follow=True)
    assert "Chỉ thành viên đoàn kiểm tra" in refused.content.decode()
    assert ChecklistItem.objects.filter(inspection=inspection).count() == count


def test_a_save_refused_after_the_conclusion_keeps_what_was_typed(client, tree, himlam):
    item = first_template_item(himlam)
    team = as_user(client, tree, "db.cadre")
    type(himlam).objects.filter(pk=himlam.pk).update(status=InspectionStatus.CONCLUDED)
    body = team.post(item_url("11", item), form_data(item, "compliant", "Nhận xét đang gõ dở", 1)).content.decode()
    assert "đã có kết luận" in body and "Nhận xét đang gõ dở" in body
    assert ChecklistItem.objects.get(pk=item.pk).version == 1


def remove_url(code, evidence):
    return reverse("inspection-checklist-evidence-remove",
                   kwargs={"code": code, "uuid": evidence.item.inspection.uuid, "pk": evidence.item_id,
                           "evidence": evidence.uuid})


def test_the_team_removes_evidence_and_its_file_goes_with_it(client, tree, himlam, private_media,
                                                              django_capture_on_commit_callbacks):
    from mttq_platform.models import AuditLog

    item = first_template_item(himlam)
    kept = attach_checklist_evidence(item, upload("giu-lai.pdf", PDF), user=tree.user("db.cadre"))
    wrong = attach_checklist_evidence(item, upload("nham-tep.pdf", PDF), user=tree.user("db.cadre"))
    team = as_user(client, tree, "db.hnd.liaison")
    body = team.get(page("11", himlam)).content.decode()
    assert remove_url("11", wrong) in body and remove_url("11", kept) in body

    with django_capture_on_commit_callbacks(execute=True):
        response = team.post(remove_url("11", wrong), **HTMX)
    assert response.status_code == 200
    card = response.content.decode()
    assert "giu-lai.pdf" in card and "nham-tep.pdf" not in card and "Đã lưu" in card
    assert list(ChecklistEvidence.objects.filter(item=item)) == [kept]
    stored = list((private_media / "inspections").rglob("*.pdf"))
    assert [path.name for path in stored] == [pathlib.Path(kept.file.name).name]
    removal = AuditLog.objects.get(action="delete", object_id=str(wrong.pk))
    assert removal.actor == tree.user("db.hnd.liaison") and removal.before["original_name"] == "nham-tep.pdf"


def test_who_may_not_fill_cannot_remove_evidence(client, tree, himlam, private_media):
    item = first_template_item(himlam)
    evidence = attach_checklist_evidence(item, upload("bien-ban.pdf", PDF), user=tree.user("db.cadre"))
    # Not on the page for the inspected side or a viewer; a POST anyway is refused or not found.
    for username, code in (("himlam.cadre", "03127"), ("db.viewer", "11")):
        user = as_user(client, tree, username)
        assert remove_url(code, evidence) not in user.get(page(code, himlam)).content.decode()
        assert user.post(remove_url(code, evidence)).status_code in (200, 404)
    assert as_user(client, tree, "hn.chair").post(remove_url("11", evidence)).status_code == 404
    # After the conclusion the team's files are the record: refused, with the reason.
    type(himlam).objects.filter(pk=himlam.pk).update(status=InspectionStatus.CONCLUDED)
    refused = as_user(client, tree, "db.cadre").post(remove_url("11", evidence), **HTMX)
    assert refused.status_code == 200 and "đã có kết luận" in refused.content.decode()
    assert ChecklistEvidence.objects.filter(pk=evidence.pk).exists()
