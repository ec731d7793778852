"""Checklist items over the API: list by inspection, generate, PATCH with a version (409 when
stale), evidence upload, and what the inspected side is shown before the conclusion."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inspections.models import ChecklistEvidence, ChecklistItem, InspectionStatus, ItemSource
from inspections.reference_data import DIRECTIVE_18_ITEMS
from inspections.services.checklists import generate_checklist
from plans.models import Task
from tests.api.helpers import assert_json_error, session_client, token_client
from tests.inspections.factories import make_inspection_setup
from tests.reviews.report_factories import EXE, PDF, private_media, upload  # noqa: F401

pytestmark = pytest.mark.django_db
ITEMS = "/api/v1/checklist-items/"


@pytest.fixture
def setup(tree):
    return make_inspection_setup(tree)


@pytest.fixture
def himlam(setup, tree):
    inspection = setup.inspections["03127"]
    generate_checklist(inspection, user=tree.user("db.cadre"))
    return inspection


def first_template_item(inspection):
    return ChecklistItem.objects.filter(inspection=inspection, source=ItemSource.TEMPLATE).order_by("order").first()


def listing(client, inspection):
    response = client.get(ITEMS, {"inspection": str(inspection.uuid), "page_size": 200})
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


def test_generate_then_list_by_inspection(tree, setup):
    inspection = setup.inspections["095"]
    client = session_client(tree.user("db.hnd.liaison"))  # a team member from a member organization
    response = client.post(f"{ITEMS}generate/", {"inspection": str(inspection.uuid)}, format="json")
    assert response.status_code == 201, response.content
    tasks = Task.objects.filter(document=setup.plans["095"]).count()
    assert response.json() == {"added": tasks + len(DIRECTIVE_18_ITEMS), "kept": 0,
                               "plan": str(setup.plans["095"].uuid), "template": "chi-thi-18"}
    again = client.post(f"{ITEMS}generate/", {"inspection": str(inspection.uuid)}, format="json")
    assert again.status_code == 200 and again.json()["added"] == 0

    rows = listing(client, inspection)
    assert len(rows) == tasks + len(DIRECTIVE_18_ITEMS)
    assert {row["inspection"] for row in rows} == {str(inspection.uuid)}
    assert rows[0]["source"] == "plan_task" and rows[0]["task"] and rows[0]["version"] == 1
    assert listing(client, setup.inspections["03127"]) == []  # not generated there


def test_patch_with_the_version_and_the_stale_second_save(tree, himlam):
    item = first_template_item(himlam)
    url = f"{ITEMS}{item.pk}/"
    leader, liaison = session_client(tree.user("db.cadre")), session_client(tree.user("db.hnd.liaison"))
    saved = leader.patch(url, {"result": "partly", "note": "Thiếu biên bản", "version": 1}, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["result"], saved.json()["version"], saved.json()["updated_by"]) == ("partly", 2, "db.cadre")

    stale = liaison.patch(url, {"result": "compliant", "note": "Đủ hồ sơ", "version": 1}, format="json")

    error = assert_json_error(stale, 409, "stale")
    assert "db.cadre" in error["message"] and "Thiếu biên bản" in error["message"] and "NOT saved" in error["message_en"]
    assert error["submitted"] == {"result": "compliant", "note": "Đủ hồ sơ", "version": 1}
    assert (error["current"]["result"], error["current"]["note"], error["current"]["version"]) == ("partly", "Thiếu biên bản", 2)
    item.refresh_from_db()
    assert (item.result, item.note, item.version) == ("partly", "Thiếu biên bản", 2)


def test_writes_refused_to_others_and_after_the_conclusion(tree, himlam):
    item = first_template_item(himlam)
    url = f"{ITEMS}{item.pk}/"
    body = {"result": "compliant", "note": "", "version": 1}
    assert_json_error(session_client(tree.user("himlam.cadre")).patch(url, body, format="json"), 403)
    assert_json_error(session_client(tree.user("hn.chair")).patch(url, body, format="json"), 404)
    assert_json_error(session_client(tree.user("himlam.cadre")).post(
        f"{ITEMS}generate/", {"inspection": str(himlam.uuid)}, format="json"), 403)
    read_only, _token = token_client(tree.user("db.cadre"), read_only=True)
    assert read_only.patch(url, body, format="json").status_code == 403
    type(himlam).objects.filter(pk=himlam.pk).update(status=InspectionStatus.CONCLUDED)
    error = assert_json_error(session_client(tree.user("db.cadre")).patch(url, body, format="json"), 400)
    assert "kết luận" in error["message"]
    assert ChecklistItem.objects.get(pk=item.pk).version == 1


def test_evidence_upload_checks_the_type(tree, himlam, private_media):
    item = first_template_item(himlam)
    client = session_client(tree.user("db.hnd.liaison"))
    refused = client.post(f"{ITEMS}{item.pk}/evidence/", {"file": upload("scan.pdf", EXE)}, format="multipart")
    assert assert_json_error(refused, 400, "bad_type")
    response = client.post(f"{ITEMS}{item.pk}/evidence/", {"file": upload("bien-ban.pdf", PDF)}, format="multipart")
    assert response.status_code == 201, response.content
    [evidence] = response.json()["evidence"]
    assert evidence["original_name"] == "bien-ban.pdf" and evidence["content_type"] == "application/pdf"
    download = client.get(evidence["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert ChecklistEvidence.objects.filter(item=item).count() == 1


def test_the_inspected_side_is_shown_results_only_after_the_conclusion(tree, himlam, private_media):
    item = first_template_item(himlam)
    leader = session_client(tree.user("db.cadre"))
    leader.patch(f"{ITEMS}{item.pk}/", {"result": "not_compliant", "note": "Nội bộ", "version": 1}, format="json")
    leader.post(f"{ITEMS}{item.pk}/evidence/", {"file": upload("ho-so.pdf", PDF)}, format="multipart")
    inspected = session_client(tree.user("himlam.cadre"))

    row = inspected.get(f"{ITEMS}{item.pk}/").json()
    assert row["text"] == item.text
    assert (row["result"], row["note"], row["updated_by"], row["evidence"]) == (None, None, None, [])
    assert all(r["result"] is None and r["note"] is None for r in listing(inspected, himlam))

    type(himlam).objects.filter(pk=himlam.pk).update(status=InspectionStatus.CONCLUDED)
    row = inspected.get(f"{ITEMS}{item.pk}/").json()
    assert (row["result"], row["note"]) == ("not_compliant", "Nội bộ")
    assert inspected.get(row["evidence"][0]["download_url"]).status_code == 200


def test_listing_costs_the_same_queries_for_few_and_many_items(tree, setup, private_media):
    inspection = setup.inspections["03127"]
    client = session_client(tree.user("db.cadre"))

    def add(count):
        ChecklistItem.objects.bulk_create([ChecklistItem(inspection=inspection, order=i, source=ItemSource.ADDED, text=f"Mục {i}",
                                                         updated_by=tree.user("db.cadre")) for i in range(count)])
        for item in ChecklistItem.objects.filter(inspection=inspection, evidence__isnull=True):
            client.post(f"{ITEMS}{item.pk}/evidence/", {"file": upload("a.pdf", PDF)}, format="multipart")

    add(5)
    listing(client, inspection)
    with CaptureQueriesContext(connection) as few:
        assert len(listing(client, inspection)) == 5
    add(25)
    with CaptureQueriesContext(connection) as many:
        assert len(listing(client, inspection)) == 30
    assert len(few) == len(many)
