"""The reports API: reading through the restriction, recording, approval actions, evidence, and the
JSON errors (400 with the rule broken in both languages, 403 for rights, 404 for the invisible)."""
import pytest
from django.urls import reverse

from reviews.models import ApprovalEvent, Evidence, IndicatorValue, ReportStatus, TaskProgress, UnitReport
from reviews.services import approval
from reviews.services.progress import record_progress
from tests.api.helpers import assert_json_error, session_client, token_client
from tests.reviews.report_factories import (  # noqa: F401 (fixture)
    EXE, PDF, YEAR, open_branch_reports, private_media, upload,
)

pytestmark = pytest.mark.django_db

LIST = reverse("api:unitreport-list")
OPEN = reverse("api:unitreport-open")
EVIDENCE = reverse("api:evidence-list")


def detail(report):
    return reverse("api:unitreport-detail", kwargs={"uuid": report.uuid})


def step_url(report, step):
    return reverse(f"api:unitreport-{step}", kwargs={"uuid": report.uuid})


def progress_url(row):
    return reverse("api:taskprogress-detail", kwargs={"pk": row.pk})


@pytest.fixture
def reports(tree):
    return open_branch_reports(tree)


def units_listed(response):
    assert response.status_code == 200, response.content[:500]
    return sorted(row["unit"] for row in response.json()["results"])


# -- reading ------------------------------------------------------------------------------------

def test_each_user_lists_the_reports_of_their_subtree(tree, reports):
    assert units_listed(session_client(tree.user("himlam.cadre")).get(LIST)) == ["03127"]
    assert units_listed(session_client(tree.user("dbp.cadre")).get(LIST)) == ["03124", "03127", "094"]
    assert units_listed(session_client(tree.user("db.viewer")).get(LIST)) == sorted(reports)
    assert units_listed(session_client(tree.user("hn.chair")).get(LIST)) == []


def test_filters(tree, reports):
    client = session_client(tree.user("db.viewer"))
    assert units_listed(client.get(LIST, {"unit": "094"})) == ["094"]
    assert units_listed(client.get(LIST, {"within": "094"})) == ["03124", "03127", "094"]
    assert units_listed(client.get(LIST, {"year": YEAR + 1})) == []
    approval.submit(reports["03151"], user=tree.user("root"))
    assert units_listed(client.get(LIST, {"status": "submitted"})) == ["03151"]
    assert units_listed(client.get(LIST, {"within": "01"})) == []  # invisible anchor: nothing
    assert units_listed(session_client(tree.user("himlam.cadre")).get(LIST, {"within": "094"})) == ["03127"]


def test_detail_has_progress_indicators_and_history(tree, reports):
    himlam = reports["03127"]
    cadre = tree.user("himlam.cadre")
    row = himlam.progress.order_by("pk").first()
    record_progress(row, user=cadre, status="in_progress", percent=30, narrative="Đang làm")
    client = session_client(cadre)
    assert client.put(step_url(himlam, "indicators"), {"gs-doan": 4}, format="json").status_code == 200
    client.post(step_url(himlam, "submit"), {}, format="json")
    body = session_client(tree.user("dbp.cadre")).get(detail(himlam)).json()
    assert body["unit"] == "03127" and body["status"] == "submitted" and body["year"] == YEAR
    assert len(body["progress"]) == himlam.progress.count() > 0
    first = next(p for p in body["progress"] if p["id"] == row.pk)
    assert (first["status"], first["percent"], first["narrative"], first["updated_by"]) == ("in_progress", 30, "Đang làm", "himlam.cadre")
    assert {"period_key", "due", "overdue", "task_number", "evidence"} <= set(first)
    assert [(i["code"], i["value"]) for i in body["indicators"]] == [("gs-doan", 4)]
    assert [(e["action"], e["actor"], e["actor_unit"]) for e in body["events"]] == [("submit", "himlam.cadre", "03127")]


def test_a_sibling_or_another_province_gets_404(tree, reports):
    for username in ("hn.chair",):
        client = session_client(tree.user(username))
        assert_json_error(client.get(detail(reports["03127"])), 404, "not_found")
        assert_json_error(client.post(step_url(reports["03127"], "accept"), {}, format="json"), 404, "not_found")
        row = reports["03127"].progress.first()
        assert_json_error(client.patch(progress_url(row), {"status": "done"}, format="json"), 404, "not_found")
    # a commune does not see its parent's report
    assert_json_error(session_client(tree.user("himlam.cadre")).get(detail(reports["094"])), 404)


@pytest.mark.parametrize("query", [{}, {"within": "11", "status": "draft"}, {"unit": "094"}, {"year": YEAR}])
@pytest.mark.parametrize("size", [1, 6])
def test_listing_reports_costs_a_fixed_number_of_queries(tree, reports, django_assert_num_queries, size, query):
    client = session_client(tree.user("db.viewer"))
    client.get(LIST)  # session and user loaded once
    # session, user, access scope, (anchor unit), count, page: whatever the number of reports
    anchored = "within" in query or "unit" in query
    with django_assert_num_queries(6 if anchored else 5):
        response = client.get(LIST, {**query, "page_size": size})
    assert len(response.json()["results"]) == (1 if "unit" in query else size)


def test_the_detail_costs_the_same_with_more_rows(tree, reports, django_assert_max_num_queries, private_media):
    himlam = reports["03127"]
    client = session_client(tree.user("himlam.cadre"))
    client.get(detail(himlam))
    with django_assert_max_num_queries(12) as few:
        client.get(detail(himlam))
    for row in himlam.progress.all()[:3]:
        client.post(EVIDENCE, {"progress": row.pk, "file": upload("a.pdf", PDF)}, format="multipart")
        record_progress(row, user=tree.user("himlam.cadre"), status="done")
    client.put(step_url(himlam, "indicators"), {"gs-doan": 1, "th-lop": 2}, format="json")
    client.post(step_url(himlam, "submit"), {}, format="json")
    with django_assert_max_num_queries(12) as many:
        response = client.get(detail(himlam))
    assert len(response.json()["events"]) == 1
    assert len(few) == len(many)


# -- recording ----------------------------------------------------------------------------------

def test_patch_progress(tree, reports):
    row = reports["03127"].progress.order_by("pk").first()
    client = session_client(tree.user("himlam.cadre"))
    response = client.patch(progress_url(row), {"status": "in_progress", "percent": 55, "narrative": "Đã họp"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["percent"]) == ("in_progress", 55)
    response = client.patch(progress_url(row), {"narrative": "Đã họp hai lần"}, format="json")
    assert (response.json()["percent"], response.json()["narrative"]) == (55, "Đã họp hai lần")

    error = assert_json_error(client.patch(progress_url(row), {"status": "not_done"}, format="json"), 400, "reason_required")
    assert "lý do" in error["message"] and "reason" in error["message_en"]
    assert_json_error(client.patch(progress_url(row), {"percent": 150}, format="json"), 400, "invalid")
    stored = TaskProgress.objects.get(pk=row.pk)
    assert (stored.status, stored.percent) == ("in_progress", 55)


def test_the_parent_may_read_but_not_record(tree, reports):
    row = reports["03127"].progress.first()
    client = session_client(tree.user("dbp.cadre"))
    assert client.get(progress_url(row)).status_code == 200
    assert_json_error(client.patch(progress_url(row), {"status": "done"}, format="json"), 403, "permission_denied")
    assert_json_error(client.put(step_url(reports["03127"], "indicators"), {"gs-doan": 1}, format="json"), 403)
    assert TaskProgress.objects.get(pk=row.pk).status == "not_started"


def test_put_indicators(tree, reports):
    himlam = reports["03127"]
    client = session_client(tree.user("himlam.cadre"))
    response = client.put(step_url(himlam, "indicators"), {"gs-doan": 3, "kn-de-xuat": 7}, format="json")
    assert response.status_code == 200
    assert {row["code"]: row["value"] for row in response.json()} == {"gs-doan": 3, "kn-de-xuat": 7}
    error = assert_json_error(client.put(step_url(himlam, "indicators"), {"gs-doan": -2}, format="json"), 400)
    assert "gs-doan" in error["message_en"]
    assert_json_error(client.put(step_url(himlam, "indicators"), {"khong-co": 1}, format="json"), 400)
    assert_json_error(client.put(step_url(himlam, "indicators"), [1, 2], format="json"), 400, "invalid")
    assert IndicatorValue.objects.get(report=himlam, indicator__code="gs-doan").value == 3


def test_open_a_report_for_the_own_unit(tree):
    from tests.plans.factories import seed_like_plan

    seed_like_plan(tree["03127"], number="7")
    client = session_client(tree.user("himlam.cadre"))
    response = client.post(OPEN, {"unit": "03127", "year": YEAR}, format="json")
    assert response.status_code == 201, response.content
    report = UnitReport.objects.get(uuid=response.json()["uuid"])
    assert report.progress.exists() and report.plan.number == "7"
    assert client.post(OPEN, {"unit": "03127", "year": YEAR}, format="json").status_code == 200
    assert UnitReport.objects.filter(unit__code="03127").count() == 1
    # the parent reads the commune but opens only its own report; the viewer cannot open
    assert_json_error(session_client(tree.user("dbp.cadre")).post(OPEN, {"unit": "03127", "year": YEAR + 1}, format="json"), 403)
    assert_json_error(session_client(tree.user("db.viewer")).post(OPEN, {"unit": "11", "year": YEAR}, format="json"), 403)
    assert_json_error(client.post(OPEN, {"unit": "094", "year": YEAR}, format="json"), 404)
    assert_json_error(client.post(OPEN, {"unit": "03127", "year": 1890}, format="json"), 400, "invalid")


# -- approval -----------------------------------------------------------------------------------

def test_the_approval_round_trip(tree, reports):
    himlam, district = reports["03127"], reports["094"]
    commune, parent, province = (session_client(tree.user(u)) for u in ("himlam.cadre", "dbp.cadre", "db.cadre"))

    response = commune.post(step_url(himlam, "submit"), {"comment": "Kính gửi"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    assert_json_error(commune.post(step_url(himlam, "accept"), {}, format="json"), 403, "permission_denied")
    error = assert_json_error(parent.post(step_url(himlam, "return"), {}, format="json"), 400, "comment_required")
    assert error["message"] != error["message_en"]
    response = parent.post(step_url(himlam, "return"), {"comment": "Thiếu minh chứng"}, format="json")
    assert response.json()["status"] == "returned"
    events = commune.get(detail(himlam)).json()["events"]
    assert events[-1]["action"] == "return" and events[-1]["comment"] == "Thiếu minh chứng"

    commune.post(step_url(himlam, "submit"), {}, format="json")
    assert parent.post(step_url(himlam, "accept"), {}, format="json").json()["status"] == "accepted"

    # the district cannot be accepted while Noong Bua's report is neither accepted nor waived
    parent.post(step_url(district, "submit"), {}, format="json")
    error = assert_json_error(province.post(step_url(district, "accept"), {}, format="json"), 400, "children_not_ready")
    assert "03124" in error["message_en"]
    assert parent.post(step_url(reports["03124"], "waive"), {"comment": "Miễn"}, format="json").json()["status"] == "waived"
    assert province.post(step_url(district, "accept"), {}, format="json").json()["status"] == "accepted"

    # reopening: a new version, the accepted one stays readable
    assert_json_error(parent.post(step_url(himlam, "reopen"), {}, format="json"), 400, "comment_required")
    error = assert_json_error(parent.post(step_url(himlam, "reopen"), {"comment": "Sửa"}, format="json"), 400, "upper_accepted")
    assert province.post(step_url(district, "reopen"), {"comment": "Xã cần sửa"}, format="json").json()["status"] == "draft"
    response = parent.post(step_url(himlam, "reopen"), {"comment": "Sửa số liệu"}, format="json")
    assert (response.json()["status"], response.json()["version"]) == ("draft", 2)
    versions = commune.get(step_url(himlam, "versions")).json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["accepted_by"] == "dbp.cadre" and versions[0]["snapshot"]["version"] == 1
    assert parent.post(step_url(reports["03124"], "unwaive"), {}, format="json").json()["status"] == "draft"
    assert ApprovalEvent.objects.count() == 10


def test_writes_refused_after_acceptance(tree, reports, private_media):
    himlam = reports["03127"]
    row = himlam.progress.first()
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    approval.accept(himlam, user=tree.user("dbp.cadre"))
    client = session_client(tree.user("himlam.cadre"))
    assert_json_error(client.patch(progress_url(row), {"status": "done"}, format="json"), 400, "locked")
    assert_json_error(client.put(step_url(himlam, "indicators"), {"gs-doan": 1}, format="json"), 400, "locked")
    assert_json_error(client.post(EVIDENCE, {"progress": row.pk, "file": upload("a.pdf", PDF)}, format="multipart"), 400, "locked")
    assert UnitReport.objects.get(pk=himlam.pk).status == ReportStatus.ACCEPTED


def test_a_read_only_token_cannot_act(tree, reports):
    client, _ = token_client(tree.user("himlam.cadre"), read_only=True)
    assert client.get(LIST).status_code == 200
    assert_json_error(client.post(step_url(reports["03127"], "submit"), {}, format="json"), 403, "token_read_only")
    assert UnitReport.objects.get(pk=reports["03127"].pk).status == ReportStatus.DRAFT


def test_a_token_scoped_to_another_unit_cannot_act_on_this_one(tree, reports):
    client, _ = token_client(tree.user("dbp.cadre"), unit=tree["03124"], read_only=False)
    assert_json_error(client.post(step_url(reports["094"], "submit"), {}, format="json"), 404)
    assert units_listed(client.get(LIST)) == ["03124"]


# -- evidence -----------------------------------------------------------------------------------

def test_upload_list_and_download_evidence(tree, reports, private_media):
    row = reports["03127"].progress.first()
    client = session_client(tree.user("himlam.cadre"))
    response = client.post(EVIDENCE, {"progress": row.pk, "file": upload("bien-ban.pdf", PDF), "description": "Biên bản"},
                           format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["content_type"], body["size"], body["progress"]) == ("application/pdf", len(PDF), row.pk)
    assert body["download"] == f"/u/03127/reviews/evidence/{body['uuid']}/"
    download = session_client(tree.user("dbp.cadre")).get(body["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    assert [e["uuid"] for e in session_client(tree.user("db.viewer")).get(EVIDENCE).json()["results"]] == [body["uuid"]]
    assert session_client(tree.user("hn.chair")).get(EVIDENCE).json()["results"] == []

    error = assert_json_error(client.post(EVIDENCE, {"progress": row.pk, "file": upload("bien-ban.pdf", EXE)}, format="multipart"),
                              400, "bad_type")
    assert "PDF" in error["message"]
    assert_json_error(session_client(tree.user("dbp.cadre")).post(
        EVIDENCE, {"progress": row.pk, "file": upload("x.pdf", PDF)}, format="multipart"), 403)
    assert_json_error(session_client(tree.user("hn.chair")).post(
        EVIDENCE, {"progress": row.pk, "file": upload("x.pdf", PDF)}, format="multipart"), 404)
    assert Evidence.objects.count() == 1

    url = reverse("api:evidence-detail", kwargs={"uuid": body["uuid"]})
    assert_json_error(session_client(tree.user("dbp.cadre")).delete(url), 403)
    assert client.delete(url).status_code == 204
    assert not Evidence.objects.exists()


def test_patch_the_summary(tree, reports):
    himlam = reports["03127"]
    client = session_client(tree.user("himlam.cadre"))
    response = client.patch(detail(himlam), {"summary": " Hoàn thành cơ bản các nhiệm vụ. "}, format="json")
    assert response.status_code == 200 and response.json()["summary"] == "Hoàn thành cơ bản các nhiệm vụ."
    assert_json_error(session_client(tree.user("dbp.cadre")).patch(detail(himlam), {"summary": "x"}, format="json"), 403)
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    assert_json_error(client.patch(detail(himlam), {"summary": "x"}, format="json"), 400, "locked")
    assert UnitReport.objects.get(pk=himlam.pk).summary == "Hoàn thành cơ bản các nhiệm vụ."


def test_a_writable_token_of_the_unit_submits(tree, reports):
    client, _ = token_client(tree.user("himlam.cadre"), unit=tree["03127"], read_only=False)
    response = client.post(step_url(reports["03127"], "submit"), {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "submitted"


def test_the_detail_says_what_the_caller_may_do(tree, reports):
    himlam = reports["03127"]

    def offered(username):
        body = session_client(tree.user(username)).get(detail(himlam)).json()
        return body["editable"], body["actions"]

    assert offered("himlam.cadre") == (True, ["submit"])
    assert offered("dbp.cadre") == (False, ["waive"])
    assert offered("db.viewer") == (False, [])
    approval.submit(himlam, user=tree.user("himlam.cadre"))
    assert offered("himlam.cadre") == (False, [])
    assert offered("dbp.cadre") == (False, ["accept", "return", "waive"])
    approval.accept(himlam, user=tree.user("dbp.cadre"))
    assert offered("dbp.cadre") == (False, ["reopen"])


def test_progress_and_evidence_lists_filter_by_subtree(tree, reports, private_media):
    client = session_client(tree.user("db.viewer"))
    listed = client.get(reverse("api:taskprogress-list"), {"within": "094", "page_size": 500}).json()["results"]
    assert {row["report"] for row in listed} == {str(reports[c].uuid) for c in ("094", "03124", "03127")}
    assert client.get(reverse("api:taskprogress-list"), {"within": "01"}).json()["results"] == []
    himlam_row = reports["03127"].progress.first()
    session_client(tree.user("himlam.cadre")).post(
        EVIDENCE, {"progress": himlam_row.pk, "file": upload("a.pdf", PDF)}, format="multipart")
    assert len(client.get(EVIDENCE, {"within": "094"}).json()["results"]) == 1
    assert client.get(EVIDENCE, {"unit": "03124"}).json()["results"] == []


@pytest.mark.parametrize("files", [1, 4])
def test_listing_evidence_costs_a_fixed_number_of_queries(tree, reports, private_media, django_assert_num_queries, files):
    cadre = session_client(tree.user("himlam.cadre"))
    for row in reports["03127"].progress.all()[:files]:
        cadre.post(EVIDENCE, {"progress": row.pk, "file": upload("a.pdf", PDF)}, format="multipart")
    client = session_client(tree.user("dbp.cadre"))
    client.get(EVIDENCE)
    with django_assert_num_queries(5):  # session, user, access scope, count, page
        assert len(client.get(EVIDENCE).json()["results"]) == files


def test_an_oversize_upload_is_refused_over_the_api(tree, reports, private_media, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    row = reports["03127"].progress.first()
    client = session_client(tree.user("himlam.cadre"))
    error = assert_json_error(client.post(EVIDENCE, {"progress": row.pk, "file": upload("lon.pdf", PDF + b" " * 200)},
                                          format="multipart"), 400, "too_large")
    assert "100 B" in error["message"] and "100 B" in error["message_en"]
    assert not Evidence.objects.exists()
