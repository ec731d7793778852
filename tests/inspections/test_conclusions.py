"""Findings, assessment and the conclusion of an inspection (services): who writes them, what a
conclusion needs, and that it locks the findings."""
from datetime import date
from io import BytesIO

import pytest
from docx import Document

from inspections import exporting_conclusions
from inspections.models import InspectionStatus, RecommendationStatus
from inspections.services import conclusions, rules
from inspections.services.errors import InspectionError
from tests.inspections.factories import conclude_with_recommendations, make_team_inspection

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection(tree):
    return make_team_inspection(tree, "03127")


def rows(*deadlines, unit=None):
    return [conclusions.RecommendationInput(text=f"Kiến nghị {i}", responsible="UBMTTQ phường", deadline=d,
                                            responsible_unit=unit)
            for i, d in enumerate(deadlines, start=1)]


def test_team_member_records_findings_and_the_inspection_is_under_way(tree, inspection):
    liaison = tree.user("db.hnd.liaison")  # a team member from a member organization
    conclusions.record_findings(liaison, inspection, findings="Chưa tổ chức hội nghị phản biện.",
                                internal_notes="Cần xem lại biên bản.", assessment="average")
    inspection.refresh_from_db()
    assert inspection.findings == "Chưa tổ chức hội nghị phản biện."
    assert inspection.internal_notes == "Cần xem lại biên bản."
    assert inspection.assessment == "average"
    assert inspection.status == InspectionStatus.IN_PROGRESS


@pytest.mark.parametrize("username", ["himlam.cadre", "dbp.cadre", "hn.chair"])
def test_outsiders_of_the_team_cannot_record_findings(tree, inspection, username):
    with pytest.raises(InspectionError) as refused:
        conclusions.record_findings(tree.user(username), inspection, findings="x")
    assert refused.value.code == "permission_denied"
    inspection.refresh_from_db()
    assert inspection.findings == ""


def test_unknown_assessment_is_refused(tree, inspection):
    with pytest.raises(InspectionError, match="đánh giá"):
        conclusions.record_findings(tree.user("db.cadre"), inspection, assessment="excellent")


def test_conclusion_needs_findings_and_an_assessment(tree, inspection):
    leader = tree.user("db.cadre")
    with pytest.raises(InspectionError) as refused:
        conclusions.conclude(leader, inspection, number="1", symbol="KL", conclusion_date=date(2025, 10, 20), text="Kết luận")
    assert refused.value.code == "incomplete"
    conclusions.record_findings(leader, inspection, findings="Kết quả")
    with pytest.raises(InspectionError):  # still no assessment
        conclusions.conclude(leader, inspection, number="1", symbol="KL", conclusion_date=date(2025, 10, 20), text="Kết luận")
    inspection.refresh_from_db()
    assert inspection.status != InspectionStatus.CONCLUDED


def test_only_the_leader_or_the_inspecting_side_concludes(tree, inspection):
    conclusions.record_findings(tree.user("db.cadre"), inspection, findings="Kết quả", assessment="good")
    for username in ("db.hnd.liaison", "himlam.chair"):
        with pytest.raises(InspectionError) as refused:
            conclusions.conclude(tree.user(username), inspection, number="1", symbol="KL",
                                 conclusion_date=date(2025, 10, 20), text="Kết luận")
        assert refused.value.code == "permission_denied"
    conclusions.conclude(tree.user("db.chair"), inspection, number="1", symbol="KL", conclusion_date=date(2025, 10, 20),
                         text="Kết luận")
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CONCLUDED


def test_conclusion_is_written_with_its_recommendations_and_locks_the_findings(tree, inspection):
    inspection, recommendations = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 3, 31)],
                                                                day=date(2025, 10, 20))
    assert inspection.status == InspectionStatus.CONCLUDED and inspection.concluded_at is not None
    assert (inspection.conclusion_number, inspection.conclusion_symbol) == ("07", "KL-MTTQ-BTT")
    assert conclusions.number_symbol(inspection) == "07/KL-MTTQ-BTT"
    assert [(r.number, r.deadline, r.status) for r in recommendations] == [
        (1, date(2025, 12, 31), RecommendationStatus.OPEN), (2, date(2026, 3, 31), RecommendationStatus.OPEN)]
    with pytest.raises(InspectionError) as refused:
        conclusions.record_findings(tree.user("db.cadre"), inspection, findings="Sửa sau kết luận")
    assert refused.value.code == "concluded"
    with pytest.raises(InspectionError):
        conclusions.conclude(tree.user("db.cadre"), inspection, number="8", symbol="KL", conclusion_date=date(2025, 11, 1),
                             text="Lần hai")
    inspection.refresh_from_db()
    assert inspection.findings == "Đã ban hành kế hoạch; chưa báo cáo HĐND."
    assert inspection.conclusion_number == "07"


def test_a_bad_recommendation_refuses_the_whole_conclusion(tree, inspection):
    leader = tree.user("db.cadre")
    conclusions.record_findings(leader, inspection, findings="Kết quả", assessment="good")
    with pytest.raises(InspectionError, match="Kiến nghị 2"):  # deadline before the conclusion
        conclusions.conclude(leader, inspection, number="1", symbol="KL", conclusion_date=date(2025, 10, 20), text="KL",
                             recommendations=rows(date(2025, 12, 1), date(2025, 10, 1)))
    with pytest.raises(InspectionError, match="Kiến nghị 1"):  # a unit outside the inspected unit's subtree
        conclusions.conclude(leader, inspection, number="1", symbol="KL", conclusion_date=date(2025, 10, 20), text="KL",
                             recommendations=rows(date(2025, 12, 1), unit=tree["03124"]))
    inspection.refresh_from_db()
    assert inspection.status != InspectionStatus.CONCLUDED
    assert not inspection.recommendations.exists()
    conclusions.conclude(leader, inspection, number="1", symbol="KL", conclusion_date=date(2025, 10, 20), text="KL",
                         recommendations=rows(date(2025, 12, 1), unit=tree["03127"]))
    assert inspection.recommendations.get().responsible_unit == tree["03127"]


def test_internal_notes_reach_the_inspected_side_only_after_the_conclusion(tree, inspection):
    himlam = tree.user("himlam.cadre")
    conclusions.record_findings(tree.user("db.cadre"), inspection, findings="Kết quả", assessment="good")
    assert rules.sees_internal(tree.user("db.hnd.liaison"), inspection)
    assert not rules.sees_internal(himlam, inspection)
    inspection, _ = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31)], day=date(2025, 10, 20))
    assert rules.sees_internal(himlam, inspection)
    assert not rules.sees_internal(tree.user("hn.chair"), inspection)


def test_conclusion_docx_opens_and_holds_the_recommendations(tree, inspection):
    inspection, recommendations = conclude_with_recommendations(tree, inspection, [date(2025, 12, 31), date(2026, 3, 31)],
                                                                day=date(2025, 10, 20))
    document = Document(BytesIO(exporting_conclusions.export_docx(inspection, recommendations)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "KẾT LUẬN KIỂM TRA" in text
    assert "Đã ban hành kế hoạch; chưa báo cáo HĐND." in text  # findings
    assert "Yêu cầu phường khắc phục các hạn chế." in text  # conclusion text
    assert "Xếp loại: Khá" in text
    header = document.tables[0].rows[0].cells[0].text
    assert "Số: 07/KL-MTTQ-BTT" in header
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    body = [[cell.text for cell in row.cells] for row in table.rows[1:]]
    assert body == [
        ["1", "Kiến nghị số 1: bổ sung hồ sơ giám sát.", "Ban Thường trực phường", "31/12/2025"],
        ["2", "Kiến nghị số 2: bổ sung hồ sơ giám sát.", "Ban Thường trực phường", "31/03/2026"],
    ]
    assert exporting_conclusions.filename(inspection) == "07-KL-MTTQ-BTT.docx"
