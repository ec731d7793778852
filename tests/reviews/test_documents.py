"""Periodic report documents (issue 4, item 5): drafted from the accepted data of a unit's subtree,
exported as .docx (Decree 30 layout) and .xlsx, behind the one restriction."""
from __future__ import annotations

from datetime import datetime, timezone as dt_timezone
from io import BytesIO

import pytest
from django.db.models import Sum
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook

from reviews import documents
from reviews.models import Indicator, IndicatorValue, ProgressStatus, ReportStatus, TaskProgress, UnitReport
from reviews.rollup.engine import apply_report_changes
from reviews.rollup.reading import rollup
from reviews.services.reports import open_report
from tests.conftest import PASSWORD
from tests.reviews.report_factories import YEAR, open_branch_reports

ACCEPTED = ("11", "094", "03124", "03127")
SUBMITTED = ("095",)  # submitted, not accepted: left out of the documents
STATUSES = (ProgressStatus.DONE, ProgressStatus.IN_PROGRESS, ProgressStatus.NOT_DONE, ProgressStatus.NOT_STARTED)


def fill_branch(tree, year: int = YEAR) -> dict:
    """The Điện Biên branch's reports with varied progress and indicators; four accepted, one
    submitted, one draft."""
    reports = open_branch_reports(tree, year=year)
    indicators = list(Indicator.objects.order_by("order")[:6])
    submitted_at = datetime(year, 12, 1, 9, tzinfo=dt_timezone.utc)
    for i, (code, report) in enumerate(reports.items()):
        for j, pk in enumerate(report.progress.order_by("pk").values_list("pk", flat=True)):
            status = STATUSES[(i + j) % 4]
            TaskProgress.objects.filter(pk=pk).update(status=status, percent=40 if status == ProgressStatus.IN_PROGRESS else None)
        IndicatorValue.objects.bulk_create(
            [IndicatorValue(report=report, indicator=indicator, value=(i + 1) * (k + 2)) for k, indicator in enumerate(indicators)]
        )
        if code in ACCEPTED + SUBMITTED:
            UnitReport.objects.filter(pk=report.pk).update(
                status=ReportStatus.ACCEPTED if code in ACCEPTED else ReportStatus.SUBMITTED,
                first_submitted_at=submitted_at, submitted_at=submitted_at,
                accepted_at=submitted_at if code in ACCEPTED else None,
            )
    # The cells are kept by differences, so applying again is harmless; this keeps the test
    # independent of how the receiver is wired.
    apply_report_changes([r.pk for r in reports.values()])
    return reports


def docx_text(content: bytes) -> str:
    doc = Document(BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def docx_rows(content: bytes) -> dict[str, list[str]]:
    """Rows of the figure tables by their label cell (the first or, after "STT", the second)."""
    rows = {}
    for table in Document(BytesIO(content)).tables:
        for row in table.rows:
            cells = [cell.text for cell in row.cells]
            if len(cells) > 2:
                rows[cells[1] if cells[0] in ("STT", "") or cells[0].isdigit() and len(cells[0]) < 4 else cells[0]] = cells
    return rows


@pytest.fixture
def branch(tree):
    return fill_branch(tree)


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def test_the_province_annual_report_docx_holds_the_accepted_rollup(tree, branch, client):
    province = tree["11"]
    figures = rollup(province, YEAR, accepted_only=True)
    everything = rollup(province, YEAR)
    # The roll-up itself, against a naive count: accepted reports of the subtree only.
    accepted_progress = TaskProgress.objects.filter(report__unit__code__in=ACCEPTED, report__year=YEAR)
    assert figures.total.tasks == accepted_progress.count() > 0
    assert figures.total.done == accepted_progress.filter(status=ProgressStatus.DONE).count() > 0
    assert figures.total.reports_accepted == 4 and everything.total.tasks > figures.total.tasks

    response = login(client, "db.viewer").get(reverse("report-document-download", args=["11", YEAR, "annual-council", "docx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == documents.DOCX_CONTENT_TYPE
    text = docx_text(response.content)
    total = figures.total
    assert documents.task_sentence(total) in text
    assert documents.reporting_sentence(total) in text
    assert f"Tổng số nhiệm vụ - kỳ báo cáo: {total.tasks};" in text and f"đã hoàn thành: {total.done};" in text
    assert documents.percent(total.completion) in text
    # Decree 30 header, the addressee, and the parts left to people.
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Kính gửi: Thường trực Hội đồng nhân dân tỉnh Điện Biên" in text
    assert "[Đánh giá ưu điểm — do cán bộ viết]" in text

    rows = docx_rows(response.content)
    for indicator in Indicator.objects.filter(active=True):
        naive = IndicatorValue.objects.filter(
            report__unit__code__in=ACCEPTED, report__year=YEAR, indicator=indicator).aggregate(s=Sum("value"))["s"] or 0
        assert total.indicators.get(indicator.code, 0) == naive
        assert rows[indicator.name][-1] == documents.number(naive)
    assert rows["Tổng cộng"][2:] == [documents.cell_text(get(total)) for _, get in documents.UNIT_COLUMNS]
    assert documents.decimal(total.completion) in rows["Tổng cộng"]
    # One line per child: Mường Lay's report is only submitted, so its line is empty.
    for child in figures.by_child:
        assert rows[child.label][2] == documents.number(child.measures.tasks)
    assert rows[tree["095"].name][2] == "0"


def test_the_party_report_goes_to_the_provincial_party_committee(tree, branch, client):
    response = login(client, "db.cadre").get(reverse("report-document-download", args=["11", YEAR, "annual-party", "docx"]))
    assert response.status_code == 200
    assert "Kính gửi: Ban Thường vụ Tỉnh ủy Điện Biên" in docx_text(response.content)


def test_the_xlsx_opens_and_its_totals_equal_the_rollup(tree, branch, client):
    figures = rollup(tree["11"], YEAR, accepted_only=True).total
    response = login(client, "db.viewer").get(reverse("report-document-download", args=["11", YEAR, "annual-council", "xlsx"]))
    assert response.status_code == 200 and response["Content-Type"] == documents.XLSX_CONTENT_TYPE
    workbook = load_workbook(BytesIO(response.content))
    by_unit = list(workbook["Theo đơn vị"].iter_rows(values_only=True))
    header, lines, total_row = by_unit[0], by_unit[1:-1], by_unit[-1]
    assert total_row[1] == "Tổng cộng"
    for column, (title, get) in enumerate(documents.UNIT_COLUMNS, start=2):
        assert header[column] == title
        assert total_row[column] == get(figures)
        if not title.startswith("Tỷ lệ"):  # counts add up over the lines (the unit's own and each child)
            assert sum(line[column] for line in lines) == total_row[column]
    indicators = {row[1]: row[-1] for row in workbook["Chỉ tiêu"].iter_rows(min_row=2, values_only=True)}
    assert indicators == {i.name: figures.indicators.get(i.code, 0) for i in Indicator.objects.filter(active=True)}
    assert sum(indicators.values()) > 0
    summary = {row[0]: row[1] for row in workbook["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
    assert summary["Hoàn thành"] == figures.done and summary["Đã chấp nhận"] == figures.reports_accepted


def test_the_document_list_links_the_files_of_the_year(tree, client):
    response = login(client, "dbp.cadre").get(reverse("report-documents", args=["094", 2025]))
    assert response.status_code == 200
    body = response.content.decode()
    for kind in ("annual-council", "annual-party", "review-3"):
        for fmt in ("docx", "xlsx"):
            assert reverse("report-document-download", args=["094", 2025, kind, fmt]) in body
    assert "review-5" not in body  # 2027
    assert "review-5" in client.get(reverse("report-documents", args=["094", 2027])).content.decode()


def test_the_three_year_review_adds_up_the_years_after_the_directive(tree, branch, client):
    province = tree["11"]
    earlier = open_report(province, 2024)  # the province's own 2024 report, accepted, one task done
    TaskProgress.objects.filter(pk=earlier.progress.order_by("pk").values_list("pk", flat=True)[:1]).update(status=ProgressStatus.DONE)
    UnitReport.objects.filter(pk=earlier.pk).update(status=ReportStatus.ACCEPTED)
    apply_report_changes([earlier.pk])

    document = documents.draft(province, 2025, "review-3")
    assert document.years == [2023, 2024, 2025]
    content = documents.export_docx(document)
    text = docx_text(content)
    assert "Sơ kết 3 năm thực hiện Chỉ thị số 18-CT/TW" in text and "giai đoạn 2023 - 2025" in text
    years = [rollup(province, y, accepted_only=True).total for y in (2023, 2024, 2025)]
    assert years[1].done == 1 and years[2].done > 0
    assert document.total.tasks == sum(m.tasks for m in years) and document.total.done == sum(m.done for m in years)
    assert document.total.indicators == years[2].indicators
    rows = docx_rows(content)
    assert rows["Cả giai đoạn"][1] == documents.number(document.total.tasks)
    assert rows["2024"][2] == "1"  # done in 2024
    # A review is drafted in its milestone year only.
    response = login(client, "db.viewer").get(reverse("report-document-download", args=["11", 2024, "review-3", "docx"]))
    assert response.status_code == 404


@pytest.mark.parametrize("path", [
    lambda: reverse("report-documents", args=["11", YEAR]),
    lambda: reverse("report-document-download", args=["11", YEAR, "annual-council", "docx"]),
    lambda: reverse("report-document-download", args=["11", YEAR, "annual-council", "xlsx"]),
    lambda: reverse("api:report-documents") + f"?unit=11&year={YEAR}&kind=annual-council&format=docx",
    lambda: reverse("api:report-documents") + f"?unit=11&year={YEAR}",
])
def test_a_user_of_an_unrelated_province_gets_404(tree, client, path):
    assert login(client, "hn.chair").get(path()).status_code == 404


def test_units_above_are_not_reported_on_by_those_below(tree, client):
    # Units above are readable as names, but their totals are not the commune's to read.
    assert login(client, "himlam.cadre").get(reverse("report-documents", args=["11", YEAR])).status_code == 404
    assert client.get(reverse("api:report-documents") + f"?unit=094&year={YEAR}").status_code == 404


def test_the_api_lists_and_downloads_documents(tree, branch, client):
    login(client, "db.chair")
    url = reverse("api:report-documents")
    listed = client.get(url, {"unit": "11", "year": YEAR}).json()
    assert [d["kind"] for d in listed] == ["annual-council", "annual-party", "review-3"]
    assert listed[0]["years"] == [YEAR]
    response = client.get(url, {"unit": "11", "year": YEAR, "kind": "annual-council", "format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == documents.XLSX_CONTENT_TYPE
    load_workbook(BytesIO(response.content))
    response = client.get(url, {"unit": "11", "year": YEAR, "kind": "annual-party", "format": "docx"})
    assert documents.task_sentence(rollup(tree["11"], YEAR, accepted_only=True).total) in docx_text(response.content)

    bad = client.get(url, {"unit": "11", "year": YEAR, "kind": "review-5"})
    assert bad.status_code == 400
    assert "Sơ kết 5 năm được lập cho năm 2027" in str(bad.json()["error"]["detail"])
    assert client.get(url, {"unit": "11", "year": YEAR, "kind": "annual-council", "format": "pdf"}).status_code == 400
    assert client.get(url, {"unit": "11"}).status_code == 400


@pytest.mark.parametrize("code, kind, fmt", [
    ("094", "annual-council", "docx"), ("11", "annual-council", "docx"), ("11", "annual-party", "xlsx"), ("11", "review-3", "docx"),
])
def test_a_document_costs_the_same_queries_for_a_district_the_province_and_three_years(
        tree, branch, client, django_assert_num_queries, code, kind, fmt):
    login(client, "db.chair")
    # session, user, access scope, unit, plan in force, roll-up cells, children, levels, kinds, indicators;
    # a review adds one per section other apps register (inspections: the inspections held in the period).
    with django_assert_num_queries(11 if kind.startswith("review") else 10):
        response = client.get(reverse("report-document-download", args=[code, YEAR, kind, fmt]))
    assert response.status_code == 200
