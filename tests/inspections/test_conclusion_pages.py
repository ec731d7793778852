"""Findings, conclusion and recommendation pages: the team writes, the inspected commune sees the
team's notes only once the conclusion is issued, answers with evidence; the leader closes and
reopens; overdue recommendations on both sides' unit home."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from docx import Document

from inspections.models import InspectionStatus, Recommendation, RecommendationStatus
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
def as_user(client, tree):
    def login(username):
        client.force_login(tree.user(username))
        return client
    return login


def page(code, inspection, name="inspection-conclusion"):
    return reverse(name, kwargs={"code": code, "uuid": inspection.uuid})


def rec_url(code, recommendation, name="recommendation-detail"):
    return reverse(name, kwargs={"code": code, "pk": recommendation.pk})


def test_team_records_findings_from_the_page(tree, inspection, as_user):
    client = as_user("db.cadre")
    response = client.get(page("11", inspection))
    assert response.status_code == 200
    assert 'name="findings"' in response.content.decode()
    response = client.post(page("11", inspection, "inspection-findings"), {
        "findings": "Chưa báo cáo HĐND.", "internal_notes": NOTES, "assessment": "fair", "assessment_text": "Khá"})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert (inspection.findings, inspection.internal_notes, inspection.assessment) == ("Chưa báo cáo HĐND.", NOTES, "fair")


def test_inspected_commune_sees_the_notes_only_after_the_conclusion(tree, inspection, as_user):
    conclusions.record_findings(tree.user("db.cadre"), inspection, findings="Chưa báo cáo HĐND.", internal_notes=NOTES,
                                assessment="fair")
    client = as_user("himlam.cadre")
    response = client.get(page("03127", inspection))
    assert response.status_code == 200
    text = response.content.decode()
    assert NOTES not in text and "Chưa báo cáo HĐND." not in text
    assert 'name="findings"' not in text and 'name="text"' not in text
    assert client.get(page("03127", inspection, "inspection-conclusion-docx")).status_code == 404  # no draft for them
    conclude_with_recommendations(tree, inspection, [date(2025, 12, 31)], day=date(2025, 10, 20))
    text = client.get(page("03127", inspection)).content.decode()
    assert NOTES in text and "chưa báo cáo HĐND." in text and "Yêu cầu phường khắc phục" in text


def test_the_inspected_side_cannot_post_findings(tree, inspection, as_user):
    client = as_user("himlam.chair")
    response = client.post(page("03127", inspection, "inspection-findings"), {"findings": "Tự ghi", "assessment": "good"})
    assert response.status_code == 400
    assert "Only the team or the inspecting unit may record the findings" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.findings == ""


def test_leader_issues_the_conclusion_with_recommendation_rows(tree, inspection, as_user):
    conclusions.record_findings(tree.user("db.cadre"), inspection, findings="Kết quả", assessment="good")
    client = as_user("db.cadre")
    form = {"number": "07", "symbol": "KL-MTTQ-BTT", "date": "2025-10-20", "text": "Kết luận của đoàn.",
            "rec-TOTAL_FORMS": "3", "rec-INITIAL_FORMS": "0",
            "rec-0-text": "Bổ sung hồ sơ.", "rec-0-responsible": "Chủ tịch UBMTTQ phường", "rec-0-deadline": "2025-12-31",
            "rec-1-text": "Báo cáo HĐND.", "rec-1-responsible": "", "rec-1-responsible_unit": str(tree["03127"].pk),
            "rec-1-deadline": "2026-01-15"}
    bad = {**form, "rec-1-deadline": "2025-10-01"}  # before the conclusion: refused, what was typed kept
    response = client.post(page("11", inspection, "inspection-conclude"), bad)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Kiến nghị 2" in text and "Bổ sung hồ sơ." in text and "Kết luận của đoàn." in text
    inspection.refresh_from_db()
    assert inspection.status != InspectionStatus.CONCLUDED
    response = client.post(page("11", inspection, "inspection-conclude"), form)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CONCLUDED
    assert list(inspection.recommendations.values_list("number", "responsible", "deadline")) == [
        (1, "Chủ tịch UBMTTQ phường", date(2025, 12, 31)), (2, tree["03127"].name, date(2026, 1, 15))]
    response = client.get(page("11", inspection, "inspection-conclusion-docx"))
    assert response.status_code == 200
    document = Document(BytesIO(response.content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "Bổ sung hồ sơ." in cells and "15/01/2026" in cells


def test_answer_close_and_reopen_through_the_pages(tree, inspection, as_user, client):
    _, (first, second) = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 1, 31)],
                                                       day=date(2025, 10, 20))
    himlam = as_user("himlam.cadre")
    assert 'enctype="multipart/form-data"' in himlam.get(rec_url("03127", first)).content.decode()
    response = himlam.post(rec_url("03127", first, "recommendation-answer"),
                           {"text": "Đã bổ sung.", "file": SimpleUploadedFile("bien-ban.pdf", PDF)})
    assert response.status_code == 302
    response = himlam.post(rec_url("03127", second, "recommendation-answer"),
                           {"text": "Sai tệp.", "file": SimpleUploadedFile("a.pdf", b"MZ not a pdf")})
    assert response.status_code == 400 and "Sai tệp." in response.content.decode()
    answer = first.answers.get()
    assert himlam.get(reverse("recommendation-answer-file", kwargs={"code": "03127", "pk": answer.pk})).getvalue() == PDF
    assert himlam.post(rec_url("03127", first, "recommendation-close")).status_code == 400  # not the leader
    leader = as_user("db.cadre")
    assert leader.post(rec_url("11", first, "recommendation-close"), {"note": "Đạt."}).status_code == 302
    first.refresh_from_db()
    assert first.status == RecommendationStatus.CLOSED
    assert leader.post(rec_url("11", first, "recommendation-reopen"), {"note": ""}).status_code == 400
    assert leader.post(rec_url("11", first, "recommendation-reopen"), {"note": "Thiếu chữ ký."}).status_code == 302
    first.refresh_from_db()
    assert first.status == RecommendationStatus.REOPENED
    assert "Thiếu chữ ký." in as_user("himlam.chair").get(rec_url("03127", first)).content.decode()


def test_pages_cost_a_fixed_number_of_queries(tree, inspection, as_user, django_assert_max_num_queries):
    _, recommendations = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31)] * 6, day=date(2025, 10, 20))
    client = as_user("himlam.cadre")
    with django_assert_max_num_queries(12):
        assert client.get(page("03127", inspection)).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(rec_url("03127", recommendations[0])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("recommendation-list", args=["03127"])).status_code == 200


def test_strangers_get_not_found(tree, inspection, as_user):
    _, (first,) = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31)], day=date(2025, 10, 20))
    client = as_user("hn.chair")
    assert client.get(page("01", inspection)).status_code == 404
    assert client.get(rec_url("01", first)).status_code == 404
    assert client.get(page("03127", inspection)).status_code == 404
    # A sibling commune's address does not open Him Lam's inspection either.
    client = as_user("dbp.cadre")
    assert client.get(page("03124", inspection)).status_code == 404
    assert client.get(page("094", inspection)).status_code == 200  # the unit above reads it


def test_overdue_recommendations_on_both_sides_unit_home(tree, inspection, as_user, django_assert_max_num_queries):
    today = timezone.localdate()
    _, (late, later) = conclude_with_recommendations(
        tree, inspection, [today - timedelta(days=3), today + timedelta(days=30)], day=today - timedelta(days=10))
    home = as_user("himlam.cadre").get(reverse("unit-home", args=["03127"])).content.decode()
    block_url = reverse("recommendation-overdue-block", args=["03127"])
    assert f'hx-get="{block_url}"' in home
    client = as_user("himlam.cadre")
    with django_assert_max_num_queries(12):
        text = client.get(block_url).content.decode()
    assert late.text in text and rec_url("03127", late) in text
    assert later.text not in text  # not yet due
    client = as_user("db.chair")
    text = client.get(reverse("recommendation-overdue-block", args=["11"])).content.decode()
    assert late.text in text and rec_url("11", late) in text
    Recommendation.objects.filter(pk=late.pk).update(status=RecommendationStatus.CLOSED)
    text = client.get(reverse("recommendation-overdue-block", args=["11"])).content.decode()
    assert late.text not in text
    assert late.text not in as_user("hn.chair").get(reverse("recommendation-overdue-block", args=["01"])).content.decode()
