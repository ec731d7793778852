"""The summary across inspected units (issue 5, item 5): counts per item, group and unit, open
recommendations, the .xlsx and summary report .docx, the section of the periodic reviews, isolation,
and a constant number of queries whatever the number of inspected units."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from inspections import summary as summaries
from inspections.models import (
    ChecklistItem, ChecklistResult, ChecklistTemplateItem, InspectionPlanStatus, InspectionStatus, ItemSource, Recommendation,
    RecommendationStatus,
)
from inspections.models.inspections import Assessment
from reviews import documents
from tests.conftest import PASSWORD
from tests.inspections.factories import make_inspection_plan, make_inspection_setup

YEAR = 2025
NC, P, C, NA, PENDING = (
    ChecklistResult.NOT_COMPLIANT, ChecklistResult.PARTLY, ChecklistResult.COMPLIANT, ChecklistResult.NOT_APPLICABLE,
    ChecklistResult.PENDING,
)
ADDED_TEXT = "Có sổ theo dõi kiến nghị sau giám sát"
# The checklist of each inspected unit: three template items, then one the team added.
RESULTS = {
    "094": [NC, C, P, NA],
    "095": [NC, NC, C, C],
    "03127": [C, P, PENDING, C],
    "03151": [NC, C, C, NA],
}
ASSESSMENTS = {"094": Assessment.AVERAGE, "095": Assessment.WEAK, "03127": Assessment.GOOD, "03151": Assessment.FAIR}


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


def template_items(count: int = 3) -> list[ChecklistTemplateItem]:
    return list(ChecklistTemplateItem.objects.filter(template__code="chi-thi-18").order_by("order")[:count])


def fill_checklist(inspection, results, template=None):
    template = template or template_items()
    rows = []
    for order, result in enumerate(results):
        if order < len(template):
            item = template[order]
            rows.append(ChecklistItem(inspection=inspection, order=order, source=ItemSource.TEMPLATE, template_item=item,
                                      group=item.group, text=item.text, result=result))
        else:
            rows.append(ChecklistItem(inspection=inspection, order=order, source=ItemSource.ADDED, group="Khác",
                                      text=ADDED_TEXT, result=result))
    ChecklistItem.objects.bulk_create(rows)


def recommend(inspection, number, *, days, status=RecommendationStatus.OPEN, text=None):
    return Recommendation.objects.create(
        inspection=inspection, number=number, text=text or f"Kiến nghị {number} với {inspection.unit.name}",
        responsible=inspection.unit.name, responsible_unit=inspection.unit,
        deadline=timezone.localdate() + timedelta(days=days), status=status,
    )


@pytest.fixture
def setup(tree):
    """Province 11 inspects 094, 095 (districts), 03127, 03151 (communes) in 2025; plus what must not
    count in its summary: a draft plan, a cancelled inspection, a district's own inspection."""
    setup = make_inspection_setup(tree, year=YEAR)
    setup.plan.status = InspectionPlanStatus.ISSUED
    setup.plan.save()
    for code, results in RESULTS.items():
        inspection = setup.inspections[code]
        fill_checklist(inspection, results)
        inspection.assessment = ASSESSMENTS[code]
        inspection.status = InspectionStatus.CONCLUDED
        inspection.conclusion_date = date(YEAR, 11, 20)
        inspection.save()
    i = setup.inspections
    setup.extra["recommendations"] = {
        "overdue": recommend(i["094"], 1, days=-10),
        "closed": recommend(i["094"], 2, days=-30, status=RecommendationStatus.CLOSED),
        "answered": recommend(i["095"], 1, days=30, status=RecommendationStatus.ANSWERED),
        "reopened": recommend(i["03127"], 1, days=-3, status=RecommendationStatus.REOPENED),
    }
    # Not held: a draft plan; and a cancelled inspection within the issued plan.
    draft = make_inspection_plan(tree, year=YEAR, codes=("03124",), title="Kế hoạch dự thảo")
    fill_checklist(draft.inspections.get(), [NC, NC, NC, NC])
    cancelled = make_inspection_plan(tree, year=YEAR, codes=("03124",), status=InspectionPlanStatus.ISSUED, number="09")
    fill_checklist(cancelled.inspections.get(), [NC, NC, NC, NC])
    cancelled.inspections.update(status=InspectionStatus.CANCELLED)
    # The district 094 inspects its commune 03124: not the province's own inspection, but held in
    # the province's subtree (the province's review lists it).
    district = make_inspection_plan(tree, "094", year=YEAR, codes=("03124",), status=InspectionPlanStatus.ISSUED,
                                    number="03", title="Kế hoạch kiểm tra của thành phố Điện Biên Phủ")
    fill_checklist(district.inspections.get(), [NC, NC, NC, NC])
    setup.extra["district_plan"] = district
    # A plan of 2022, before the 3-year review's period (2023-2025).
    early = make_inspection_plan(tree, year=2022, codes=("095",), status=InspectionPlanStatus.ISSUED, number="01")
    setup.extra["early_plan"] = early
    return setup


def expected_counts(results_by_unit) -> tuple[list[Counter], Counter]:
    """By hand from RESULTS: per item position, and over everything."""
    per_item = [Counter(results[k] for results in results_by_unit.values()) for k in range(4)]
    return per_item, sum(per_item, Counter())


def as_list(counter: Counter) -> list[int]:
    return [counter[NC], counter[P], counter[C], counter[NA], counter[PENDING]]


def rate(counter: Counter):
    base = counter[NC] + counter[P] + counter[C]
    return round(100 * counter[C] / base, 1) if base else None


def test_the_summary_counts_are_right(tree, setup):
    summary = summaries.summarize(tree["11"], [YEAR])
    per_item, total = expected_counts(RESULTS)
    template = template_items()

    assert [line.unit.code for line in summary.inspections] == ["094", "03127", "095", "03151"]  # tree order
    # Items: the first template item is not compliant in three units, the second in one.
    assert [line.text for line in summary.items] == [template[0].text, template[1].text, template[2].text, ADDED_TEXT]
    assert [line.counts.as_list() for line in summary.items] == [as_list(c) for c in per_item]
    assert summary.items[0].counts.not_compliant == 3 and summary.items[1].counts.not_compliant == 1
    assert summary.total.as_list() == as_list(total) == [4, 2, 7, 2, 1]
    assert summary.total.compliance_rate == rate(total) == round(100 * 7 / 13, 1)
    # Groups add up to the total.
    assert [sum(col) for col in zip(*(g.counts.as_list() for g in summary.groups))] == as_list(total)

    lines = {line.unit.code: line for line in summary.inspections}
    for code, results in RESULTS.items():
        counter = Counter(results)
        assert lines[code].counts.as_list() == as_list(counter), code
        assert lines[code].counts.compliance_rate == rate(counter)
        assert lines[code].assessment_label == str(ASSESSMENTS[code].label)
    assert lines["094"].counts.compliance_rate == 33.3
    assert (lines["094"].recommendations, lines["094"].open_recommendations, lines["094"].overdue_recommendations) == (2, 1, 1)
    assert (lines["095"].recommendations, lines["095"].open_recommendations, lines["095"].overdue_recommendations) == (1, 1, 0)
    assert (lines["03127"].recommendations, lines["03127"].open_recommendations, lines["03127"].overdue_recommendations) == (1, 1, 1)
    assert (lines["03151"].recommendations, lines["03151"].open_recommendations) == (0, 0)

    recs = setup.extra["recommendations"]
    # Not closed, overdue first (each by deadline).
    assert [(r.recommendation.pk, r.overdue) for r in summary.open_recommendations] == [
        (recs["overdue"].pk, True), (recs["reopened"].pk, True), (recs["answered"].pk, False),
    ]
    assert (summary.recommendations, summary.open_count, summary.overdue_count) == (4, 3, 2)

    # A span of years holds the same inspections; a year without any, none.
    assert summaries.summarize(tree["11"], [2023, 2024, 2025]).total.as_list() == as_list(total)
    assert summaries.summarize(tree["11"], [2024]).inspections == []


def test_the_period_is_a_year_or_a_span(db):
    assert summaries.parse_period("2025") == [2025]
    assert summaries.parse_period("2023-2025") == [2023, 2024, 2025]
    assert summaries.parse_period("2023", "2024") == [2023, 2024]
    for bad in ("abc", "2025-2023", "2000-2020", ""):
        with pytest.raises(summaries.InspectionError) as error:
            summaries.parse_period(bad)
        assert error.value.message_vi and error.value.message_en


class _Tables(HTMLParser):
    """The cells of every table of a page, by the table's class."""

    def __init__(self):
        super().__init__()
        self.tables, self._table, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def page_tables(content: bytes) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(content.decode())
    return parser.tables


def docx_tables(content: bytes) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in Document(BytesIO(content)).tables]


def same(value, text: str) -> bool:
    """A workbook cell (numbers as numbers) against the page's cell (written the Vietnamese way:
    "1.234", "66,7", "—" for no base)."""
    if value is None or value == "":
        return text in ("", "—")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return text != "—" and float(text.replace(".", "").replace(",", ".")) == value
    return str(value) == text


def test_the_page_and_the_xlsx_hold_the_same_numbers(tree, setup, client):
    login(client, "db.chair")
    response = client.get(reverse("inspection-summary", args=["11", YEAR]))
    assert response.status_code == 200
    shown = page_tables(response.content)
    comparison = shown["summary-comparison"]
    assert comparison[0][:3] == ["STT", "Đơn vị được kiểm tra", "Không đạt"]
    assert comparison[1][1] == tree["094"].name and comparison[1][2:8] == ["1", "1", "1", "1", "0", "33,3"]
    assert comparison[-1][1] == "Tổng cộng" and comparison[-1][2:7] == ["4", "2", "7", "2", "1"]
    assert shown["summary-items"][1][3:8] == ["3", "0", "1", "0", "0"]  # most often not compliant first
    assert len(shown["summary-recommendations"]) == 1 + 3
    assert "Quá hạn" in shown["summary-recommendations"][1]
    assert response.content.decode().count('class="overdue"') == 2

    download = client.get(reverse("inspection-summary-download", args=["11", YEAR, "xlsx"]))
    assert download.status_code == 200 and download["Content-Type"] == summaries.XLSX_CONTENT_TYPE
    assert "tong-hop-kiem-tra-11-2025.xlsx" in download["Content-Disposition"]
    workbook = load_workbook(BytesIO(download.content))
    assert {"Tổng hợp", "Nội dung kiểm tra", "Theo nhóm", "Kiến nghị chưa hoàn thành", "So sánh đơn vị"} <= set(workbook.sheetnames)
    for sheet, table in (("So sánh đơn vị", "summary-comparison"), ("Nội dung kiểm tra", "summary-items"),
                         ("Theo nhóm", "summary-groups"), ("Kiến nghị chưa hoàn thành", "summary-recommendations")):
        cells = [list(row) for row in workbook[sheet].iter_rows(values_only=True)]
        assert cells[0] == shown[table][0], sheet
        assert len(cells) == len(shown[table]) > 1, sheet
        for held, written in zip(cells[1:], shown[table][1:]):
            assert [same(value, text) for value, text in zip(held, written)] == [True] * len(written), (held, written)
    compared = [list(row) for row in workbook["So sánh đơn vị"].iter_rows(values_only=True)]
    assert compared[1][2:8] == [1, 1, 1, 1, 0, 33.3] and isinstance(compared[1][7], float)
    figures = {row[0]: row[1] for row in workbook["Tổng hợp"].iter_rows(min_row=5, values_only=True)}
    assert figures["Đơn vị được kiểm tra"] == 4 and figures["Không đạt"] == 4 and figures["Kiến nghị quá hạn"] == 2


def test_the_summary_report_docx_holds_the_figures_and_tables(tree, setup, client):
    login(client, "db.chair")
    page = page_tables(client.get(reverse("inspection-summary", args=["11", YEAR])).content)
    download = client.get(reverse("inspection-summary-download", args=["11", YEAR, "docx"]))
    assert download.status_code == 200 and download["Content-Type"] == summaries.DOCX_CONTENT_TYPE
    doc = Document(BytesIO(download.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Tổng hợp kết quả kiểm tra việc thực hiện Chỉ thị số 18-CT/TW" in text and "năm 2025" in text
    assert "đã kiểm tra 4 đơn vị với 16 nội dung kiểm tra: đạt 7; đạt một phần 2; không đạt 4" in text
    assert "quá hạn: 2" in text
    assert "Thực hiện Kế hoạch kiểm tra số 05/KH-MTTQ-BTT" in text
    assert "[Đánh giá ưu điểm — do cán bộ viết]" in text
    tables = docx_tables(download.content)
    for name in ("summary-comparison", "summary-groups", "summary-items", "summary-recommendations"):
        assert page[name] in tables, name


def test_the_three_year_review_lists_the_inspections_held_in_the_period(tree, setup, client):
    login(client, "db.chair")
    response = client.get(reverse("report-document-download", args=["11", YEAR, "review-3", "docx"]))
    assert response.status_code == 200
    content = response.content
    text = "\n".join(p.text for p in Document(BytesIO(content)).paragraphs)
    assert "6. Công tác kiểm tra việc thực hiện Chỉ thị" in text
    assert "đã tổ chức 5 cuộc kiểm tra đơn vị theo 2 kế hoạch kiểm tra" in text
    listed = next(t for t in docx_tables(content) if t[0][:3] == ["STT", "Năm", "Đơn vị kiểm tra"])
    rows = listed[1:]
    assert [(r[2], r[4]) for r in rows] == [
        (tree["11"].name, tree["094"].name), (tree["11"].name, tree["03127"].name),
        (tree["11"].name, tree["095"].name), (tree["11"].name, tree["03151"].name),
        (tree["094"].name, tree["03124"].name),  # the district's own inspection, within the province
    ]
    assert rows[0][6] == "Trung bình" and rows[0][7] == "20/11/2025" and rows[0][8:] == ["2", "1"]
    # The draft plan, the cancelled inspection and the 2022 plan are not listed.
    assert not any(r[3] == setup.extra["early_plan"].number_symbol for r in rows)
    # The same in the .xlsx, numbers as numbers.
    workbook = load_workbook(BytesIO(client.get(reverse("report-document-download", args=["11", YEAR, "review-3", "xlsx"])).content))
    name = next(n for n in workbook.sheetnames if n.startswith("Công tác kiểm tra"))
    sheet = [list(r) for r in workbook[name].iter_rows(values_only=True)]
    assert len(sheet) == 1 + 5 and sheet[1][8:] == [2, 1]
    # The annual reports do not carry the section; the district's review lists only its own subtree.
    assert documents.draft(tree["11"], YEAR, "annual-council").sections == []
    district_rows = documents.draft(tree["094"], YEAR, "review-3").sections[0].rows
    assert [r[4] for r in district_rows] == [tree["03124"].name]


def test_a_review_without_inspections_says_so(tree):
    section = documents.draft(tree["095"], YEAR, "review-3").sections[0]
    assert section.rows == [] and "chưa tổ chức cuộc kiểm tra nào" in section.empty_text


def test_the_api_gives_the_summary_and_the_files(tree, setup, client):
    login(client, "db.chair")
    url = reverse("api:inspection-summary")
    data = client.get(url, {"unit": "11", "year": YEAR}).json()
    assert data["years"] == [YEAR] and data["total"]["not_compliant"] == 4 and data["total"]["total"] == 16
    assert data["overdue_recommendations_count"] == 2 and len(data["open_recommendations"]) == 3
    assert data["open_recommendations"][0]["overdue"] is True
    assert [line["unit"] for line in data["inspections"]] == ["094", "03127", "095", "03151"]
    assert data["inspections"][0]["counts"]["compliance_rate"] == 33.3
    assert data["items"][0]["counts"]["not_compliant"] == 3
    assert client.get(url, {"unit": "11", "year": "2023-2025"}).json()["total"]["total"] == 16
    xlsx = client.get(url, {"unit": "11", "year": YEAR, "format": "xlsx"})
    assert xlsx["Content-Type"] == summaries.XLSX_CONTENT_TYPE
    load_workbook(BytesIO(xlsx.content))
    bad = client.get(url, {"unit": "11", "year": "20x5"})
    assert bad.status_code == 400 and "Kỳ tổng hợp không hợp lệ" in str(bad.json())
    assert client.get(url, {"unit": "11", "year": YEAR, "format": "pdf"}).status_code == 400


@pytest.mark.parametrize("path", [
    lambda: reverse("inspection-summary", args=["11", YEAR]),
    lambda: reverse("inspection-summary", args=["11", "2023-2025"]),
    lambda: reverse("inspection-summary-download", args=["11", YEAR, "xlsx"]),
    lambda: reverse("inspection-summary-download", args=["11", YEAR, "docx"]),
    lambda: reverse("api:inspection-summary") + f"?unit=11&year={YEAR}",
    lambda: reverse("api:inspection-summary") + f"?unit=11&year={YEAR}&format=docx",
])
def test_a_user_of_another_province_gets_404(tree, client, path):
    assert login(client, "hn.chair").get(path()).status_code == 404


def test_units_below_do_not_read_the_summary_of_the_unit_above(tree, setup, client):
    login(client, "himlam.cadre")  # 03127, inspected by the province: it reads its own inspection, not the summary
    assert client.get(reverse("inspection-summary", args=["11", YEAR])).status_code == 404
    assert client.get(reverse("api:inspection-summary"), {"unit": "11", "year": YEAR}).status_code == 404
    # Its own (empty) summary is its to read.
    assert client.get(reverse("inspection-summary", args=["03127", YEAR])).status_code == 200


def make_inspected(tree, codes_by_plan, first_number: int = 1) -> int:
    count = 0
    for number, codes in enumerate(codes_by_plan, start=first_number):
        plan = make_inspection_plan(tree, year=YEAR, codes=codes, number=str(number), status=InspectionPlanStatus.ISSUED)
        for inspection in plan.inspections.all():
            fill_checklist(inspection, [NC, P, C, NA])
            recommend(inspection, 1, days=-5)
            recommend(inspection, 2, days=5, status=RecommendationStatus.CLOSED)
            count += 1
    return count


def measure(tree, client) -> list[int]:
    """Queries of summarize() itself, then of the page, the two files and the API."""
    province = tree["11"]
    with CaptureQueriesContext(connection) as queries:
        summaries.summarize(province, [YEAR])
    counts = [len(queries)]
    for url in (
        reverse("inspection-summary", args=["11", YEAR]),
        reverse("inspection-summary-download", args=["11", YEAR, "xlsx"]),
        reverse("inspection-summary-download", args=["11", YEAR, "docx"]),
        reverse("api:inspection-summary") + f"?unit=11&year={YEAR}",
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts


def test_the_summary_costs_the_same_queries_for_2_and_6_inspected_units(tree, client):
    login(client, "db.chair")
    assert make_inspected(tree, [("094",), ("095",)]) == 2
    two = measure(tree, client)
    assert make_inspected(tree, [("03124", "03127", "03151"), ("094",)], first_number=3) == 4
    six = measure(tree, client)
    assert summaries.summarize(tree["11"], [YEAR]).total.not_compliant == 6
    assert two == six
    # summarize: inspections with their recommendation counts, results per unit, results per item,
    # open recommendations. A download adds session, user, access scope, unit.
    assert six[0] == 4 and six[2] == six[3] == six[4] == 8, six
