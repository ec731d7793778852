"""The API of findings, conclusions and recommendations: the inspected side never receives the
team's findings or internal notes before the conclusion; answers, close and reopen go through the
services."""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from inspections.models import InspectionStatus, RecommendationStatus
from inspections.services import conclusions
from tests.inspections.factories import conclude_with_recommendations, make_team_inspection

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTES = "Ghi chép nội bộ: cán bộ phường trả lời chậm."


@pytest.fixture
def inspection(tree, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path)
    return make_team_inspection(tree, "03127")


@pytest.fixture
def api(tree):
    def as_user(username):
        client = APIClient()
        client.force_authenticate(tree.user(username))
        return client
    return as_user


def conclusion_url(inspection, action=""):
    return f"/api/v1/inspection-conclusions/{inspection.uuid}/" + (f"{action}/" if action else "")


def rec_url(recommendation=None, action=""):
    url = "/api/v1/recommendations/" + (f"{recommendation.pk}/" if recommendation else "")
    return url + (f"{action}/" if action else "")


def test_team_member_patches_findings_the_inspected_side_cannot(tree, inspection, api):
    response = api("db.hnd.liaison").patch(conclusion_url(inspection), {
        "findings": "Chưa báo cáo HĐND.", "internal_notes": NOTES, "assessment": "fair"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["internal_notes"] == NOTES
    response = api("himlam.chair").patch(conclusion_url(inspection), {"findings": "Tự ghi"}, format="json")
    assert response.status_code == 403
    assert api("hn.chair").patch(conclusion_url(inspection), {"findings": "x"}, format="json").status_code == 404
    inspection.refresh_from_db()
    assert inspection.findings == "Chưa báo cáo HĐND."


def test_internal_notes_are_not_sent_to_the_inspected_side_before_the_conclusion(tree, inspection, api):
    conclusions.record_findings(tree.user("db.cadre"), inspection, findings="Chưa báo cáo HĐND.", internal_notes=NOTES,
                                assessment="fair")
    himlam = api("himlam.cadre")
    body = himlam.get(conclusion_url(inspection)).json()
    assert "internal_notes" not in body and "findings" not in body and "assessment" not in body
    assert NOTES not in himlam.get("/api/v1/inspection-conclusions/").content.decode()
    assert api("db.chair").get(conclusion_url(inspection)).json()["internal_notes"] == NOTES
    conclude_with_recommendations(tree, inspection, [date(2025, 12, 31)], day=date(2025, 10, 20))
    body = himlam.get(conclusion_url(inspection)).json()
    assert body["internal_notes"] == NOTES and body["status"] == InspectionStatus.CONCLUDED


def test_conclude_action_writes_the_conclusion_and_its_recommendations(tree, inspection, api):
    leader = api("db.cadre")
    payload = {"conclusion_number": "07", "conclusion_symbol": "KL-MTTQ-BTT", "conclusion_date": "2025-10-20",
               "conclusion_text": "Kết luận.", "recommendations": [
                   {"text": "Bổ sung hồ sơ.", "responsible": "UBMTTQ phường", "deadline": "2025-12-31"},
                   {"text": "Báo cáo HĐND.", "responsible_unit": "03127", "deadline": "2026-01-31"}]}
    response = leader.post(conclusion_url(inspection, "conclude"), payload, format="json")
    assert response.status_code == 400  # no findings yet
    assert response.json()["error"]["detail"]["reason"] == ["incomplete"], response.json()
    leader.patch(conclusion_url(inspection), {"findings": "Kết quả", "assessment": "good"}, format="json")
    assert api("db.hnd.liaison").post(conclusion_url(inspection, "conclude"), payload, format="json").status_code == 403
    response = leader.post(conclusion_url(inspection, "conclude"), payload, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["conclusion_number"] == "07"
    rows = api("himlam.cadre").get(rec_url(), {"inspection": str(inspection.uuid)}).json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [(r["number"], r["responsible_unit"], r["status"]) for r in rows] == [
        (1, None, "open"), (2, "03127", "open")]
    response = leader.patch(conclusion_url(inspection), {"findings": "Sửa"}, format="json")
    assert response.status_code == 400 and response.json()["error"]["detail"]["reason"] == ["concluded"]


def test_answers_close_and_reopen(tree, inspection, api):
    _, (first, second) = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 1, 31)],
                                                       day=date(2025, 10, 20))
    himlam = api("himlam.cadre")
    response = himlam.post(rec_url(first, "answers"), {"text": "Đã bổ sung.", "file": SimpleUploadedFile("bb.pdf", PDF)},
                           format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "answered" and body["answers"][0]["has_file"] and body["answers"][0]["size"] == len(PDF)
    response = himlam.post(rec_url(second, "answers"), {"text": "x", "file": SimpleUploadedFile("a.pdf", b"MZ...")},
                           format="multipart")
    assert response.status_code == 400 and response.json()["error"]["detail"]["reason"] == ["bad_type"]
    assert api("db.hnd.liaison").post(rec_url(first, "answers"), {"text": "x"}, format="json").status_code == 403
    assert himlam.post(rec_url(first, "close"), {}, format="json").status_code == 403
    leader = api("db.cadre")
    assert leader.post(rec_url(first, "close"), {"note": "Đạt."}, format="json").json()["status"] == "closed"
    response = leader.post(rec_url(first, "reopen"), {"note": ""}, format="json")
    assert response.status_code == 400 and response.json()["error"]["detail"]["reason"] == ["note"]
    body = leader.post(rec_url(first, "reopen"), {"note": "Thiếu chữ ký."}, format="json").json()
    assert body["status"] == RecommendationStatus.REOPENED
    assert body["answers"][0]["decision"] == "reopened" and body["answers"][0]["decision_note"] == "Thiếu chữ ký."
    assert api("hn.chair").get(rec_url(first)).status_code == 404


def test_overdue_filter_lists_the_late_ones_to_both_sides(tree, inspection, api, django_assert_max_num_queries):
    today = timezone.localdate()
    _, (late, later) = conclude_with_recommendations(
        tree, inspection, [today - timedelta(days=2), today + timedelta(days=20)], day=today - timedelta(days=10))
    for username in ("himlam.cadre", "db.chair"):
        client = api(username)
        with django_assert_max_num_queries(8):
            rows = client.get(rec_url(), {"overdue": "true"}).json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        assert [(r["id"], r["overdue"]) for r in rows] == [(late.pk, True)]
    rows = api("hn.chair").get(rec_url()).json()
    assert (rows["results"] if isinstance(rows, dict) else rows) == []
