"""The derivation pages: issuing a draft from its detail page, the derive page (defaults with their
reason, per-task overrides), the subtree job and its progress page (with the htmx fragment), who
may see and use them; the job run by a real worker; the demo plans loaded twice."""
import re
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mttq_platform.models import AuditLog
from plans.demo import load_plan_demo
from plans.models import DerivationJob, DerivationRule, DocumentStatus, PlanDocument, PlanVersion, Task
from tests.plans.factories import seed_like_plan, task_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, tree):
    def login(username):
        client.force_login(tree.user(username))
        return client

    return login


@pytest.fixture
def province_plan(tree):
    return seed_like_plan(tree["11"])


def rules_of(plan):
    return {(task.number, task.bullet): task.carried_as for task in plan.tasks.all()}


# -- issuing -------------------------------------------------------------------------------------------
def test_only_a_manager_sees_and_uses_the_issue_button(as_user, tree):
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT)
    url, issue_url = f"/u/11/plans/{draft.uuid}/", f"/u/11/plans/{draft.uuid}/issue/"

    page = as_user("db.cadre").get(url).content.decode()
    assert "Dự thảo" in page and "phiên bản 1" in page
    assert issue_url not in page  # a cadre may edit, not issue
    assert as_user("db.cadre").post(issue_url).status_code == 403
    assert PlanDocument.objects.get(pk=draft.pk).status == DocumentStatus.DRAFT

    client = as_user("db.chair")
    page = client.get(url).content.decode()
    assert f'action="{issue_url}"' in page and "Ban hành" in page
    response = client.post(issue_url)
    assert response.status_code == 302 and response["Location"] == url
    issued = PlanDocument.objects.get(pk=draft.pk)
    assert issued.status == DocumentStatus.ISSUED and issued.issued_at is not None
    assert PlanVersion.objects.filter(document=issued, version=1).exists()
    page = client.get(url).content.decode()
    assert "Đã ban hành kế hoạch." in page and "Đã ban hành" in page
    assert issue_url not in page  # issued once
    client.post(issue_url)  # a second POST changes nothing and says why
    assert "Chỉ dự thảo mới ban hành được." in client.get(url).content.decode()
    assert PlanVersion.objects.filter(document=issued).count() == 1


def test_a_units_chair_cannot_issue_a_plan_above_it(as_user, tree):
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT)
    # The commune chair manages the commune, and a draft of the province is not even visible to it.
    assert as_user("himlam.chair").post(f"/u/03127/plans/{draft.uuid}/issue/").status_code == 404
    assert PlanDocument.objects.get(pk=draft.pk).status == DocumentStatus.DRAFT


# -- the derive page ----------------------------------------------------------------------------------------
def test_the_derive_page_shows_each_default_rule_with_its_reason(as_user, province_plan, django_assert_max_num_queries):
    client = as_user("dbp.cadre")
    with django_assert_max_num_queries(20):  # session, user, scope, unit, plans, rules (8), layout
        page = client.get("/u/094/plans/derive/").content.decode()
    assert province_plan.number_symbol in page and "Cấp trên trực tiếp" in page
    rows = {number: rule for rule, number in re.findall(r'<tr class="rule-(\w+)">\s*<td>([\d.]+)</td>', page)}
    assert rows == {"1.1": "carry", "2.1": "carry", "2.2": "carry", "3.1": "coordinate", "3.4": "omit", "4.1": "carry"}
    assert "Chỉ là việc của cấp trên" in page  # 3.4: the province's own task
    assert "Đơn vị là cơ quan phối hợp ở cấp này" in page  # 3.1
    task = task_of(province_plan, "3.4")
    assert re.search(rf'<select name="rule-{task.pk}"[^>]*>.*?<option value="omit" selected>', page, re.S)
    assert 'hx-' not in page.split("<main", 1)[1]  # a plain form: it works without JavaScript


def test_the_derive_page_costs_the_same_queries_whatever_the_number_of_tasks(as_user, tree, django_assert_max_num_queries):
    plan = seed_like_plan(tree["11"])
    client = as_user("dbp.cadre")
    with CaptureQueriesContext(connection) as seven_tasks:
        client.get("/u/094/plans/derive/")
    for order in range(30):
        Task.objects.create(document=plan, number=f"9.{order}", order=100 + order, text=f"Nhiệm vụ thêm {order}")
    with django_assert_max_num_queries(len(seven_tasks.captured_queries)):
        page = client.get("/u/094/plans/derive/").content.decode()
    assert "Nhiệm vụ thêm 29" in page


def test_an_override_changes_how_the_task_is_carried(as_user, tree, province_plan):
    client = as_user("dbp.cadre")
    first, province_only = task_of(province_plan, "1.1"), task_of(province_plan, "3.4")
    response = client.post("/u/094/plans/derive/", {
        "plan": province_plan.uuid,
        f"rule-{first.pk}": DerivationRule.COORDINATE,  # carried -> for coordination
        f"rule-{province_only.pk}": DerivationRule.CARRY,  # left out -> carried
        **{f"rule-{task.pk}": "carry" for task in province_plan.tasks.exclude(pk__in=[first.pk, province_only.pk])},
    })
    derived = PlanDocument.objects.get(unit=tree["094"], parent_plan=province_plan)
    assert response.status_code == 302 and response["Location"] == f"/u/094/plans/{derived.uuid}/"
    assert derived.status == DocumentStatus.DRAFT and derived.created_by == tree.user("dbp.cadre")
    assert rules_of(derived) == {("1.1", 0): "coordinate", ("2.1", 1): "carry", ("2.1", 2): "carry", ("2.2", 0): "carry",
                                 ("3.1", 0): "carry", ("3.4", 0): "carry", ("4.1", 0): "carry"}
    assert {task.parent_task_id for task in derived.tasks.all()} == set(province_plan.tasks.values_list("pk", flat=True))
    assert "Đã tạo dự thảo kế hoạch" in client.get(response["Location"]).content.decode()


def test_the_defaults_apply_when_nothing_is_changed_and_a_second_derivation_is_refused(as_user, tree, province_plan):
    client = as_user("dbp.cadre")
    page = client.get("/u/094/plans/derive/").content.decode()
    defaults = dict(re.findall(r'<select name="(rule-\d+)"[^>]*>.*?<option value="(\w+)" selected>', page, re.S))
    client.post("/u/094/plans/derive/", {"plan": province_plan.uuid, **defaults})
    derived = PlanDocument.objects.get(unit=tree["094"], parent_plan=province_plan)
    assert ("3.4", 0) not in rules_of(derived) and rules_of(derived)[("3.1", 0)] == "coordinate"

    page = client.get("/u/094/plans/derive/").content.decode()
    assert "Đơn vị đã có kế hoạch xây dựng từ kế hoạch này." in page
    assert f"/u/094/plans/{derived.uuid}/" in page and "<select" not in page.split('id="rules-heading"')[1].split("</section>")[0]
    response = client.post("/u/094/plans/derive/", {"plan": province_plan.uuid, **defaults}, follow=True)
    assert "đã có kế hoạch xây dựng từ kế hoạch này" in response.content.decode()
    assert f'href="/u/094/plans/{derived.uuid}/"' in response.content.decode()
    assert PlanDocument.objects.filter(unit=tree["094"]).count() == 1


def test_an_unknown_rule_shows_the_form_again_and_creates_nothing(as_user, tree, province_plan):
    task = task_of(province_plan, "1.1")
    response = as_user("dbp.cadre").post("/u/094/plans/derive/", {"plan": province_plan.uuid, f"rule-{task.pk}": "bogus"})
    page = response.content.decode()
    assert response.status_code == 200 and 'class="field-error"' in page and province_plan.number_symbol in page
    assert not PlanDocument.objects.filter(unit=tree["094"]).exists()


def test_a_member_organization_derives_from_the_committee_it_stands_beside(as_user, tree, province_plan):
    page = as_user("db.hnd.liaison").get("/u/11-HND/plans/derive/").content.decode()
    assert "Cấp trên trực tiếp" in page and province_plan.number_symbol in page
    assert "Dự thảo cho các đơn vị trực thuộc" not in page  # nothing below it


def test_a_plan_above_links_to_the_derive_page_and_a_province_chair_may_derive_for_a_district(as_user, province_plan):
    client = as_user("dbp.cadre")
    page = client.get(f"/u/094/plans/{province_plan.uuid}/").content.decode()
    assert f'href="/u/094/plans/derive/?plan={province_plan.uuid}"' in page
    assert as_user("db.chair").get("/u/094/plans/derive/").status_code == 200  # "manage" above the district


@pytest.mark.parametrize("username, url, status", [
    ("dbp.cadre", "/u/095/plans/derive/", 404),  # the sibling district
    ("hn.chair", "/u/11/plans/derive/", 404),  # another province
    ("himlam.cadre", "/u/094/plans/derive/", 404),  # the district above: nobody acts for it from below
    ("db.viewer", "/u/11/plans/derive/", 403),  # sees the province, may not derive
    ("db.viewer", "/u/094/plans/derive/", 403),
    ("tw.analyst", "/u/11/plans/derive/", 403),
])
def test_who_may_not_use_the_derive_page(as_user, province_plan, username, url, status):
    client = as_user(username)
    assert client.get(url).status_code == status
    assert client.post(url, {"plan": province_plan.uuid}).status_code == status
    assert client.post(url + "subtree/", {"plan": province_plan.uuid}).status_code == status
    assert not PlanDocument.objects.filter(parent_plan=province_plan).exists()
    assert not DerivationJob.objects.exists()


def test_a_draft_above_is_not_offered_and_an_unknown_plan_is_404(as_user, tree):
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT)
    client = as_user("dbp.cadre")
    page = client.get("/u/094/plans/derive/").content.decode()
    assert "Chưa có kế hoạch nào của cấp trên đã ban hành." in page and draft.title not in page
    assert client.get(f"/u/094/plans/derive/?plan={draft.uuid}").status_code == 404
    assert client.post("/u/094/plans/derive/", {"plan": draft.uuid}).status_code == 404


# -- the subtree job and its page ---------------------------------------------------------------------------
def make_job(tree, plan, code="094", **fields):
    return DerivationJob.objects.create(source_plan=plan, root_unit=tree[code], requested_by=tree.user("db.chair"), **fields)


def test_the_job_page_shows_a_finished_jobs_progress(as_user, tree, province_plan):
    job = make_job(tree, province_plan, status=DerivationJob.Status.DONE, total=3, done=3, created_plans=3)
    page = as_user("dbp.cadre").get(f"/u/094/plans/jobs/{job.uuid}/").content.decode()
    assert re.search(r'<progress id="job-bar-[\w-]+" max="3" value="3">100%</progress>', page)
    assert "Hoàn thành" in page and "3/3 đơn vị (100%)" in page and "Đã tạo 3 kế hoạch" in page
    assert "hx-get" not in page  # finished: no polling
    assert 'href="/u/094/plans/"' in page


def test_a_running_job_polls_its_fragment_every_two_seconds(as_user, tree, province_plan):
    job = make_job(tree, province_plan, status=DerivationJob.Status.RUNNING, total=4, done=1)
    client = as_user("dbp.cadre")
    progress_url = f"/u/094/plans/jobs/{job.uuid}/progress/"
    page = client.get(f"/u/094/plans/jobs/{job.uuid}/").content.decode()
    assert f'hx-get="{progress_url}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    assert f'href="/u/094/plans/jobs/{job.uuid}/"' in page  # the refresh link, without JavaScript

    fragment = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode().strip()
    assert fragment.startswith('<div id="job-progress"')
    assert "<html" not in fragment and "<main" not in fragment and "site-header" not in fragment
    assert 'id="job-progress"' in fragment and 'max="4" value="1"' in fragment and "1/4 đơn vị (25%)" in fragment
    assert 'hx-trigger="every 2s"' in fragment

    DerivationJob.objects.filter(pk=job.pk).update(status=DerivationJob.Status.DONE, done=4, created_plans=4)
    fragment = client.get(progress_url).content.decode()
    assert "hx-get" not in fragment and "4/4 đơn vị (100%)" in fragment  # polling stops


def test_a_failed_job_shows_the_error_in_both_languages_and_offers_a_retry(as_user, tree, province_plan):
    job = make_job(tree, province_plan, status=DerivationJob.Status.FAILED, total=3, done=1,
                   error="Không tạo được kế hoạch cho 2 đơn vị / could not derive the plans of 2 units")
    page = as_user("dbp.cadre").get(f"/u/094/plans/jobs/{job.uuid}/").content.decode()
    assert "Lỗi" in page and "Không tạo được kế hoạch cho 2 đơn vị / could not derive the plans of 2 units" in page
    assert 'action="/u/094/plans/derive/subtree/"' in page and "Chạy lại để hoàn tất" in page
    assert "Chạy lại" not in as_user("db.viewer").get(f"/u/094/plans/jobs/{job.uuid}/").content.decode()


@pytest.mark.parametrize("username, url_code, status", [
    ("hn.chair", "094", 404),  # another province
    ("himlam.cadre", "03127", 404),  # a commune below the job's unit: not its job
    ("dbp.cadre", "11", 404),  # the province's page is not the district's to open
    ("db.viewer", "094", 200),  # reading is enough to follow a job
])
def test_who_sees_a_job(as_user, tree, province_plan, username, url_code, status):
    job = make_job(tree, province_plan)
    assert as_user(username).get(f"/u/{url_code}/plans/jobs/{job.uuid}/").status_code == status
    assert as_user(username).get(f"/u/{url_code}/plans/jobs/{job.uuid}/progress/").status_code == status


def test_the_subtree_form_starts_a_job_and_redirects_to_it(as_user, tree, province_plan, django_capture_on_commit_callbacks):
    client = as_user("db.chair")
    page = client.get("/u/11/plans/derive/").content.decode()
    assert "Tạo dự thảo cho toàn bộ đơn vị trực thuộc" in page
    assert f'<option value="{province_plan.uuid}">' in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/u/11/plans/derive/subtree/", {"plan": province_plan.uuid})
    job = DerivationJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/u/11/plans/jobs/{job.uuid}/"
    assert (job.source_plan, job.root_unit.code, job.status, job.requested_by) == (
        province_plan, "11", "queued", tree.user("db.chair"))
    assert len(callbacks) == 1  # the task is queued once the request's transaction commits
    assert not PlanDocument.objects.filter(parent_plan=province_plan).exists()  # the request only starts it
    assert client.get("/u/11/plans/derive/").content.decode().count(f"/u/11/plans/jobs/{job.uuid}/") == 1


def test_the_subtree_form_refuses_a_draft_source(as_user, tree):
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT)
    response = as_user("db.chair").post("/u/11/plans/derive/subtree/", {"plan": draft.uuid}, follow=True)
    assert "Hãy chọn một kế hoạch đã ban hành làm nguồn." in response.content.decode()
    assert not DerivationJob.objects.exists()


@pytest.mark.worker
def test_a_real_worker_derives_the_subtree_started_from_the_page(client, transactional_tree, celery_worker):
    tree = transactional_tree
    province_plan = seed_like_plan(tree["11"])
    client.force_login(tree.user("db.chair"))
    response = client.post("/u/11/plans/derive/subtree/", {"plan": province_plan.uuid})
    job = DerivationJob.objects.get()
    assert response["Location"] == f"/u/11/plans/jobs/{job.uuid}/"

    deadline = time.monotonic() + 30
    while job.status not in (DerivationJob.Status.DONE, DerivationJob.Status.FAILED) and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    assert job.status == DerivationJob.Status.DONE, job.error
    # Below the province: 2 districts, 3 communes and the province's 5 member organizations.
    assert (job.total, job.done, job.created_plans) == (10, 10, 10)
    drafts = PlanDocument.objects.exclude(pk=province_plan.pk)
    assert set(drafts.values_list("status", flat=True)) == {DocumentStatus.DRAFT}
    assert set(drafts.values_list("unit__code", flat=True)) == {
        "094", "095", "03124", "03127", "03151", "11-LDLD", "11-HND", "11-HLHPN", "11-DTN", "11-HCCB"}
    district = drafts.get(unit__code="094")
    assert district.parent_plan == province_plan
    assert drafts.get(unit__code="03127").parent_plan == district
    page = client.get(f"/u/11/plans/jobs/{job.uuid}/").content.decode()
    assert "10/10 đơn vị (100%)" in page and "hx-get" not in page


# -- the demo -----------------------------------------------------------------------------------------------
def test_the_demo_plans_load_once(tree):
    first = load_plan_demo()
    plan = PlanDocument.objects.get(unit__code="11")
    assert first.plan_created and first.plan_issued and first.plan == plan
    assert (plan.status, plan.number_symbol, plan.source_name) == ("issued", "16/KH-MTTQ-BTT", "000_bc0227de9fac2d55.txt")
    assert plan.tasks.count() == 16 and plan.signer_name == "Lò Văn Mừng"
    assert first.drafts_created == 3  # the district and its two wards
    assert set(PlanDocument.objects.filter(status="draft").values_list("unit__code", flat=True)) == {"094", "03124", "03127"}

    counts = (PlanDocument.objects.count(), Task.objects.count(), DerivationJob.objects.count(), AuditLog.objects.count())
    second = load_plan_demo()
    assert not second.plan_created and not second.plan_issued and second.drafts_created == 0
    assert (PlanDocument.objects.count(), Task.objects.count(), DerivationJob.objects.count(), AuditLog.objects.count()) == counts
