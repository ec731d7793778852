"""Derivation over the API: starting a subtree job (who may, and a read-only token may not), its
status through the one restriction, and the per-task preview of the default rules."""
import pytest

from plans.models import DerivationJob, DocumentStatus, PlanDocument
from tests.api.helpers import assert_json_error, session_client, token_client
from tests.plans.factories import seed_like_plan, task_of

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/derivation-jobs/"


@pytest.fixture
def province_plan(tree):
    return seed_like_plan(tree["11"])


def start(client, plan, code):
    return client.post(JOBS, {"plan": str(plan.uuid), "unit": code}, format="json")


def test_the_province_chair_starts_a_job(tree, province_plan, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = start(session_client(tree.user("db.chair")), province_plan, "11")
    assert response.status_code == 201, response.content
    job = DerivationJob.objects.get()
    assert response.json() == {
        "uuid": str(job.uuid), "plan": str(province_plan.uuid), "unit": "11", "status": "queued", "total": 0, "done": 0,
        "percent": 0, "created_plans": 0, "error": "", "created_at": response.json()["created_at"],
        "started_at": None, "finished_at": None,
    }
    assert job.requested_by == tree.user("db.chair") and len(callbacks) == 1  # queued after commit
    assert not PlanDocument.objects.filter(parent_plan=province_plan).exists()  # the worker does the work


def test_the_province_chair_may_start_a_job_for_a_district(tree, province_plan):
    # "manage" on a unit above the district is enough (the service's can_derive).
    assert start(session_client(tree.user("db.chair")), province_plan, "094").status_code == 201
    assert DerivationJob.objects.get().root_unit == tree["094"]


def test_a_read_only_token_cannot_start_a_job(tree, province_plan):
    client, _ = token_client(tree.user("db.chair"), read_only=True)
    assert_json_error(start(client, province_plan, "11"), 403, "token_read_only")
    assert client.get(JOBS).status_code == 200  # it still reads
    assert not DerivationJob.objects.exists()


def test_a_writing_token_is_narrowed_to_its_unit(tree, province_plan):
    client, _ = token_client(tree.user("db.chair"), unit=tree["094"], read_only=False)
    # The province is outside the token's unit: it is neither a unit to act for nor its plan visible.
    assert_json_error(start(client, province_plan, "11"), 404, "not_found")
    assert not DerivationJob.objects.exists()


@pytest.mark.parametrize("username, code, status, error", [
    ("dbp.cadre", "11", 404, "not_found"),  # the province above: nobody acts for it from below
    ("dbp.cadre", "095", 404, "not_found"),  # the sibling district
    ("hn.chair", "11", 404, "not_found"),  # another province: the plan is not even visible
    ("db.viewer", "11", 403, "permission_denied"),  # sees the province, may not derive
    ("tw.analyst", "11", 403, "permission_denied"),
])
def test_who_may_not_start_a_job(tree, province_plan, username, code, status, error):
    assert_json_error(start(session_client(tree.user(username)), province_plan, code), status, error)
    assert not DerivationJob.objects.exists()


def test_a_district_cadre_starts_a_job_for_its_own_subtree(tree, province_plan):
    response = start(session_client(tree.user("dbp.cadre")), province_plan, "094")
    assert response.status_code == 201 and response.json()["unit"] == "094"


def test_a_draft_source_or_a_unit_outside_it_is_refused(tree, province_plan):
    client = session_client(tree.user("db.chair"))
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT, number="17")
    error = assert_json_error(start(client, draft, "11"), 400, "invalid")
    assert error["detail"]["plan"] == ["Kế hoạch nguồn chưa ban hành", "the source plan is not issued"]
    district_plan = seed_like_plan(tree["094"], number="5")
    error = assert_json_error(start(client, district_plan, "095"), 400, "invalid")
    assert "is not within 094" in error["detail"]["plan"][1]
    assert_json_error(client.post(JOBS, {"plan": "not-a-uuid"}, format="json"), 400, "invalid")
    assert not DerivationJob.objects.exists()


def test_a_jobs_status_is_read_in_its_units_subtree(tree, province_plan):
    job = DerivationJob.objects.create(source_plan=province_plan, root_unit=tree["094"], status="running", total=4, done=1)
    for username in ("db.chair", "db.viewer", "dbp.cadre", "tw.analyst"):
        body = session_client(tree.user(username)).get(f"{JOBS}{job.uuid}/").json()
        assert (body["status"], body["total"], body["done"], body["percent"]) == ("running", 4, 1, 25), username
        listed = session_client(tree.user(username)).get(JOBS, {"unit": "094"}).json()["results"]
        assert [row["uuid"] for row in listed] == [str(job.uuid)]
    for username in ("himlam.cadre", "hn.chair", "db.hnd.liaison"):  # below it, elsewhere, beside it
        assert_json_error(session_client(tree.user(username)).get(f"{JOBS}{job.uuid}/"), 404, "not_found")
        assert session_client(tree.user(username)).get(JOBS).json()["results"] == []


def test_a_failed_jobs_error_is_readable(tree, province_plan):
    job = DerivationJob.objects.create(source_plan=province_plan, root_unit=tree["11"], status="failed", total=3, done=1,
                                       error="Không tạo được kế hoạch / could not derive the plans")
    body = session_client(tree.user("db.chair")).get(JOBS, {"status": "failed"}).json()["results"]
    assert [(row["uuid"], row["error"]) for row in body] == [(str(job.uuid), job.error)]


def test_jobs_are_not_changed_or_deleted_over_the_api(tree, province_plan):
    job = DerivationJob.objects.create(source_plan=province_plan, root_unit=tree["11"])
    client = session_client(tree.user("db.chair"))
    assert_json_error(client.delete(f"{JOBS}{job.uuid}/"), 405, "method_not_allowed")
    assert_json_error(client.patch(f"{JOBS}{job.uuid}/", {"status": "done"}, format="json"), 405, "method_not_allowed")


# -- the preview of the rules -------------------------------------------------------------------------------
def preview(client, plan, code=None):
    return client.get(f"/api/v1/plans/{plan.uuid}/derive-preview/", {"unit": code} if code else {})


def test_the_preview_gives_each_tasks_default_rule_and_reason(tree, province_plan):
    body = preview(session_client(tree.user("dbp.cadre")), province_plan, "094").json()
    assert [(row["number"], row["rule"]) for row in body] == [
        ("1.1", "carry"), ("2.1", "carry"), ("2.1", "carry"), ("2.2", "carry"), ("3.1", "coordinate"), ("3.4", "omit"),
        ("4.1", "carry")]
    only_province = next(row for row in body if row["number"] == "3.4")
    assert only_province["task_id"] == task_of(province_plan, "3.4").pk
    assert (only_province["reason_vi"], only_province["reason_en"]) == ("Chỉ là việc của cấp trên", "Only a higher level's task")


def test_the_preview_through_the_restriction(tree, province_plan):
    assert_json_error(preview(session_client(tree.user("dbp.cadre")), province_plan, "095"), 404, "not_found")
    assert_json_error(preview(session_client(tree.user("hn.chair")), province_plan, "01"), 404, "not_found")
    assert_json_error(preview(session_client(tree.user("db.chair")), province_plan, "11"), 400, "invalid")  # not below
    assert_json_error(preview(session_client(tree.user("db.chair")), province_plan), 400, "invalid")
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT, number="17")
    assert_json_error(preview(session_client(tree.user("db.chair")), draft, "094"), 400, "invalid")
    assert_json_error(preview(session_client(tree.user("dbp.cadre")), draft, "094"), 404, "not_found")  # a draft above
    assert preview(session_client(tree.user("db.hnd.liaison")), province_plan, "11-HND").status_code == 200
