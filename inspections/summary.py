"""The summary across the units an inspecting unit inspected in a period (issue 5, item 5).

For one inspecting unit and a year (or a span of years): per checklist item (and per group) how
many inspected units were found not compliant, partly compliant, compliant, or the item did not
apply, the items most often not compliant first; the recommendations not yet closed, overdue ones
flagged; and a comparison table of the inspected units. The period is the inspection plans' year;
draft and cancelled plans and cancelled inspections were not held and do not count.

Everything is read by a constant number of set-based queries (GROUP BY in the database), whatever
the number of inspected units: the inspections with their recommendation counts, the checklist
results per inspection, the checklist results per item, and the open recommendations.

The same content feeds the page, the API, the .xlsx, the summary report .docx, and the section the
3-, 5- and 10-year reviews of ``reviews`` list the inspections held in the period with
(``review_section``, registered in ``InspectionsConfig.ready()``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from inspections.models import (
    ChecklistItem, ChecklistResult, Inspection, InspectionPlanStatus, InspectionStatus, Recommendation, RecommendationStatus,
)
from inspections.models.inspections import Assessment
from inspections.services.errors import InspectionError
from mttq_platform.permissions import READ
from orgtree.models import OrgUnit
from plans.exporting import place_and_date, set_up_page
from reviews.documents import (
    DOCX_CONTENT_TYPE, XLSX_CONTENT_TYPE, ReportWriter, ReviewSection, add_table_sheet, number, percent, place_of, placeholder,
)

FORMATS = {"docx": DOCX_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
HELD_PLAN_STATUSES = (InspectionPlanStatus.ISSUED, InspectionPlanStatus.COMPLETED)
# The results an item is counted by, in the order the tables show them.
RESULTS = (
    ChecklistResult.NOT_COMPLIANT, ChecklistResult.PARTLY, ChecklistResult.COMPLIANT, ChecklistResult.NOT_APPLICABLE,
    ChecklistResult.PENDING,
)
RESULT_TITLES = ["Không đạt", "Đạt một phần", "Đạt", "Không áp dụng", "Chưa đánh giá"]
MAX_SPAN = 10  # years in one summary: the longest review


# -- the period ---------------------------------------------------------------------------------------
def parse_period(text: str, until: str | None = None) -> list[int]:
    """"2025" -> [2025]; "2023-2025" (or "2023" and until "2025") -> [2023, 2024, 2025]."""
    first, _sep, last = str(text).partition("-")
    last = last or (str(until) if until not in (None, "") else first)
    try:
        first_year, last_year = int(first), int(last)
    except ValueError:
        raise InspectionError(
            f"Kỳ tổng hợp không hợp lệ: {text!r}. Ghi một năm (2025) hoặc một giai đoạn (2023-2025).",
            f"Invalid period {text!r}. Give a year (2025) or a span of years (2023-2025).",
            code="invalid_period",
        ) from None
    if not (1900 < first_year <= last_year < 2200) or last_year - first_year >= MAX_SPAN:
        raise InspectionError(
            f"Giai đoạn {first_year}-{last_year} không hợp lệ: năm đầu không sau năm cuối, tối đa {MAX_SPAN} năm.",
            f"Invalid span {first_year}-{last_year}: the first year not after the last, {MAX_SPAN} years at most.",
            code="invalid_period",
        )
    return list(range(first_year, last_year + 1))


def period_text(years: list[int]) -> str:
    return f"năm {years[0]}" if len(years) == 1 else f"giai đoạn {years[0]} - {years[-1]}"


def period_slug(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


# -- the content --------------------------------------------------------------------------------------
@dataclass
class ResultCounts:
    not_compliant: int = 0
    partly: int = 0
    compliant: int = 0
    not_applicable: int = 0
    pending: int = 0

    def add(self, result: str, count: int):
        # The fields are named as the ChecklistResult values.
        setattr(self, result, getattr(self, result) + count)

    def as_list(self) -> list[int]:
        return [self.not_compliant, self.partly, self.compliant, self.not_applicable, self.pending]

    @property
    def total(self) -> int:
        return sum(self.as_list())

    @property
    def compliance_rate(self) -> float | None:
        """Compliant items out of the items assessed and applicable, in percent; None without any."""
        base = self.not_compliant + self.partly + self.compliant
        return round(100 * self.compliant / base, 1) if base else None


@dataclass
class ItemLine:
    """One checklist item (a template item, or the same words across units) over every inspected unit."""

    group: str
    text: str
    counts: ResultCounts
    order: int = 0


@dataclass
class GroupLine:
    group: str
    counts: ResultCounts


@dataclass
class InspectionLine:
    """One inspected unit of the comparison table."""

    inspection: Inspection
    counts: ResultCounts
    recommendations: int
    open_recommendations: int
    overdue_recommendations: int

    @property
    def unit(self) -> OrgUnit:
        return self.inspection.unit

    @property
    def assessment_label(self) -> str:
        return str(Assessment(self.inspection.assessment).label) if self.inspection.assessment else ""

    @property
    def status_label(self) -> str:
        return str(InspectionStatus(self.inspection.status).label)


@dataclass
class OpenRecommendation:
    recommendation: Recommendation
    overdue: bool

    @property
    def unit(self) -> OrgUnit:
        return self.recommendation.inspection.unit


@dataclass
class InspectionSummary:
    unit: OrgUnit  # the inspecting unit
    years: list[int]
    today: date
    inspections: list[InspectionLine]
    items: list[ItemLine]  # most often not compliant first
    groups: list[GroupLine]  # the same, by group of items
    open_recommendations: list[OpenRecommendation]  # overdue first, then by deadline
    total: ResultCounts = field(default_factory=ResultCounts)

    @property
    def period_text(self) -> str:
        return period_text(self.years)

    @property
    def period_label(self) -> str:
        """The period in the page's language (``period_text`` stays Vietnamese: the documents' wording)."""
        if len(self.years) == 1:
            return _("năm %(year)s") % {"year": self.years[0]}
        return _("giai đoạn %(start)s - %(end)s") % {"start": self.years[0], "end": self.years[-1]}

    @property
    def recommendations(self) -> int:
        return sum(line.recommendations for line in self.inspections)

    @property
    def open_count(self) -> int:
        return len(self.open_recommendations)

    @property
    def overdue_count(self) -> int:
        return sum(1 for r in self.open_recommendations if r.overdue)

    def filename(self, fmt: str) -> str:
        return f"tong-hop-kiem-tra-{self.unit.code}-{period_slug(self.years)}.{fmt}"


def held_inspections(years: list[int], *, unit: OrgUnit | None = None, subtree_of: OrgUnit | None = None, user=None):
    """The inspections held in ``years`` by ``unit`` (or by any unit of ``subtree_of``'s subtree),
    readable by ``user`` when given, with their recommendation counts (one GROUP BY query)."""
    today = timezone.localdate()
    queryset = Inspection.objects.restrict(user, READ) if user is not None else Inspection.objects.all()
    if unit is not None:
        queryset = queryset.filter(plan__unit=unit)
    if subtree_of is not None:
        queryset = queryset.filter(plan__unit__tree_id=subtree_of.tree_id, plan__unit__lft__gte=subtree_of.lft,
                                   plan__unit__lft__lte=subtree_of.rght)
    not_closed = ~Q(recommendations__status=RecommendationStatus.CLOSED)
    return (
        queryset.filter(plan__year__in=years, plan__status__in=HELD_PLAN_STATUSES)
        .exclude(status=InspectionStatus.CANCELLED)
        .select_related("unit", "plan", "plan__unit")
        .annotate(
            recommendation_count=Count("recommendations"),
            open_count=Count("recommendations", filter=not_closed),
            overdue_count=Count("recommendations", filter=not_closed & Q(recommendations__deadline__lt=today)),
        )
        .order_by("plan__year", "plan__start_date", "plan_id", "unit__tree_id", "unit__lft")
    )


def summarize(unit: OrgUnit, years: list[int], user=None) -> InspectionSummary:
    """The summary of ``unit``'s own inspections in ``years``: four queries whatever their number."""
    today = timezone.localdate()
    inspections = list(held_inspections(years, unit=unit, user=user))
    ids = [i.pk for i in inspections]
    items = ChecklistItem.objects.filter(inspection_id__in=ids)

    by_inspection: dict[int, ResultCounts] = {pk: ResultCounts() for pk in ids}
    for row in items.order_by().values("inspection_id", "result").annotate(n=Count("id")):
        by_inspection[row["inspection_id"]].add(row["result"], row["n"])

    # The same item across units: the template item it came from, else its group and words (the
    # tasks of derived plans keep their words).
    item_lines: dict[tuple, ItemLine] = {}
    rows = (
        items.order_by().values("template_item_id", "group", "text", "result")
        .annotate(n=Count("id"), first=Min("order"))
    )
    for row in rows:
        key = ("t", row["template_item_id"]) if row["template_item_id"] else ("x", row["group"], row["text"])
        line = item_lines.setdefault(key, ItemLine(row["group"], row["text"], ResultCounts(), row["first"]))
        line.order = min(line.order, row["first"])
        line.counts.add(row["result"], row["n"])
    ranked = sorted(item_lines.values(), key=lambda line: (-line.counts.not_compliant, -line.counts.partly, line.order, line.text))

    groups: dict[str, GroupLine] = {}
    total = ResultCounts()
    for line in sorted(item_lines.values(), key=lambda line: line.order):
        group = groups.setdefault(line.group, GroupLine(line.group, ResultCounts()))
        for result, count in zip(RESULTS, line.counts.as_list()):
            group.counts.add(result, count)
            total.add(result, count)
    ranked_groups = sorted(groups.values(), key=lambda g: (-g.counts.not_compliant, -g.counts.partly))

    open_recommendations = [
        OpenRecommendation(r, r.deadline < today)
        for r in Recommendation.objects.filter(inspection_id__in=ids).exclude(status=RecommendationStatus.CLOSED)
        .select_related("inspection__unit", "responsible_unit").order_by("deadline", "inspection_id", "number")
    ]
    open_recommendations.sort(key=lambda r: not r.overdue)  # stable: overdue first, each by deadline

    return InspectionSummary(
        unit=unit, years=years, today=today,
        inspections=[
            InspectionLine(i, by_inspection[i.pk], i.recommendation_count, i.open_count, i.overdue_count) for i in inspections
        ],
        items=ranked, groups=ranked_groups, open_recommendations=open_recommendations, total=total,
    )


# -- the tables (shared by the page, the .xlsx and the .docx) -----------------------------------------
def item_table(summary: InspectionSummary) -> tuple[list[str], list[list]]:
    header = ["STT", "Nội dung kiểm tra", "Nhóm nội dung", *RESULT_TITLES]
    rows = [[i, line.text, line.group, *line.counts.as_list()] for i, line in enumerate(summary.items, start=1)]
    return header, rows


def group_table(summary: InspectionSummary) -> tuple[list[str], list[list]]:
    header = ["STT", "Nhóm nội dung", *RESULT_TITLES]
    rows = [[i, line.group or "—", *line.counts.as_list()] for i, line in enumerate(summary.groups, start=1)]
    rows.append(["", "Tổng cộng", *summary.total.as_list()])
    return header, rows


def recommendation_table(summary: InspectionSummary) -> tuple[list[str], list[list]]:
    header = ["STT", "Nội dung kiến nghị", "Đơn vị được kiểm tra", "Chịu trách nhiệm", "Thời hạn", "Trạng thái", "Quá hạn"]
    rows = [
        [i, r.recommendation.text, r.unit.name, r.recommendation.responsible, r.recommendation.deadline.strftime("%d/%m/%Y"),
         str(RecommendationStatus(r.recommendation.status).label), "Quá hạn" if r.overdue else ""]
        for i, r in enumerate(summary.open_recommendations, start=1)
    ]
    return header, rows


COMPARISON_HEADER = [
    "STT", "Đơn vị được kiểm tra", *RESULT_TITLES, "Tỷ lệ đạt (%)", "Đánh giá chung", "Kiến nghị", "Chưa hoàn thành",
    "Quá hạn",
]


def comparison_table(summary: InspectionSummary) -> tuple[list[str], list[list]]:
    """Per inspected unit; the last line sums the counts (its rate over every unit's items)."""
    rows = [
        [i, line.unit.name, *line.counts.as_list(), line.counts.compliance_rate, line.assessment_label,
         line.recommendations, line.open_recommendations, line.overdue_recommendations]
        for i, line in enumerate(summary.inspections, start=1)
    ]
    rows.append([
        "", "Tổng cộng", *summary.total.as_list(), summary.total.compliance_rate, "", summary.recommendations,
        sum(line.open_recommendations for line in summary.inspections),
        sum(line.overdue_recommendations for line in summary.inspections),
    ])
    return COMPARISON_HEADER, rows


def totals_sentence(summary: InspectionSummary) -> str:
    t = summary.total
    return (
        f"Trong {summary.period_text}, Ban Thường trực đã kiểm tra {number(len(summary.inspections))} đơn vị với "
        f"{number(t.total)} nội dung kiểm tra: đạt {number(t.compliant)}; đạt một phần {number(t.partly)}; không đạt "
        f"{number(t.not_compliant)}; không áp dụng {number(t.not_applicable)}; chưa đánh giá {number(t.pending)}. "
        f"Tỷ lệ đạt (trên các nội dung đã đánh giá và có áp dụng): {percent(t.compliance_rate)}. Tổng số kiến nghị sau "
        f"kiểm tra: {number(summary.recommendations)}; chưa hoàn thành: {number(summary.open_count)}, trong đó quá hạn: "
        f"{number(summary.overdue_count)}."
    )


# -- .xlsx --------------------------------------------------------------------------------------------
def export_xlsx(summary: InspectionSummary) -> bytes:
    """One sheet per table; counts and rates as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tổng hợp"
    sheet.append([summary.unit.name])
    sheet.append([f"Tổng hợp kết quả kiểm tra {summary.period_text}"])
    sheet.append([])
    sheet.append(["Số liệu", "Giá trị"])
    for title, value in (
        ("Đơn vị được kiểm tra", len(summary.inspections)), ("Nội dung kiểm tra", summary.total.total),
        *zip(RESULT_TITLES, summary.total.as_list()), ("Tỷ lệ đạt (%)", summary.total.compliance_rate),
        ("Kiến nghị", summary.recommendations), ("Kiến nghị chưa hoàn thành", summary.open_count),
        ("Kiến nghị quá hạn", summary.overdue_count),
    ):
        sheet.append([title, value])
    sheet["A1"].font = sheet["A4"].font = sheet["B4"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 40
    for title, (header, rows) in (
        ("Nội dung kiểm tra", item_table(summary)), ("Theo nhóm", group_table(summary)),
        ("Kiến nghị chưa hoàn thành", recommendation_table(summary)), ("So sánh đơn vị", comparison_table(summary)),
    ):
        add_table_sheet(workbook, title, header, rows)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- .docx: the summary report ----------------------------------------------------------------------
def export_docx(summary: InspectionSummary) -> bytes:
    """The summary report (báo cáo tổng hợp kết quả kiểm tra) in the Decree 30 layout; figures and
    tables filled in, the assessment parts left as marked placeholders for the cadres."""
    docx = Document()
    set_up_page(docx)
    w = ReportWriter(docx)
    unit = summary.unit
    w.letterhead([unit.name.upper(), "BAN THƯỜNG TRỰC"], "      /BC-MTTQ-BTT", place_and_date(place_of(unit), None))
    w.paragraph("BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(12)
    w.paragraph(
        f"Tổng hợp kết quả kiểm tra việc thực hiện Chỉ thị số 18-CT/TW về giám sát, phản biện xã hội {summary.period_text}",
        bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    plans = sorted({line.inspection.plan.number_symbol or line.inspection.plan.title for line in summary.inspections})
    basis = f"Thực hiện Kế hoạch kiểm tra số {', '.join(plans)}; " if plans else ""
    w.paragraph(
        f"{basis}Ban Thường trực Ủy ban MTTQ Việt Nam {unit.area_name or unit.name} báo cáo tổng hợp kết quả kiểm tra "
        f"{summary.period_text} như sau (số liệu tổng hợp từ danh mục kiểm tra và kết luận của các đoàn kiểm tra):"
    )
    w.heading("I. TÌNH HÌNH TỔ CHỨC KIỂM TRA")
    w.placeholder("Công tác chuẩn bị, thành lập đoàn, phương pháp kiểm tra")
    w.heading("II. KẾT QUẢ KIỂM TRA")
    w.paragraph(totals_sentence(summary))
    w.heading("1. Kết quả theo đơn vị được kiểm tra")
    w.grid(*comparison_table(summary))
    w.heading("2. Kết quả theo nội dung kiểm tra")
    w.grid(*group_table(summary))
    w.paragraph("Các nội dung kiểm tra (xếp theo số đơn vị không đạt, nhiều nhất trước):")
    w.grid(*item_table(summary))
    w.heading("3. Kiến nghị sau kiểm tra chưa hoàn thành")
    header, rows = recommendation_table(summary)
    if rows:
        w.grid(header, rows)
    else:
        w.paragraph("Các kiến nghị sau kiểm tra đã được thực hiện xong.")
    w.heading("III. ĐÁNH GIÁ CHUNG")
    w.heading("1. Ưu điểm")
    w.placeholder("Đánh giá ưu điểm")
    w.heading("2. Hạn chế, nguyên nhân")
    w.placeholder("Đánh giá hạn chế và nguyên nhân")
    w.heading("IV. KIẾN NGHỊ, ĐỀ XUẤT")
    w.placeholder("Kiến nghị, đề xuất")
    w.standing_board_closing(unit, "Các đơn vị được kiểm tra", placeholder("Họ và tên"))
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def export(summary: InspectionSummary, fmt: str) -> bytes:
    if fmt == "docx":
        return export_docx(summary)
    if fmt == "xlsx":
        return export_xlsx(summary)
    raise InspectionError(
        f"Định dạng không hợp lệ: {fmt!r}. Chọn docx hoặc xlsx.", f"Unknown format {fmt!r}. Choose docx or xlsx.",
        code="unknown_format",
    )


# -- the section of the periodic reviews ---------------------------------------------------------------
REVIEW_HEADER = [
    "STT", "Năm", "Đơn vị kiểm tra", "Kế hoạch kiểm tra", "Đơn vị được kiểm tra", "Trạng thái", "Đánh giá chung",
    "Ngày kết luận", "Kiến nghị", "Chưa hoàn thành",
]


def review_section(unit: OrgUnit, years: list[int]) -> ReviewSection:
    """The inspections held in the review's years by ``unit`` and the units of its subtree (one
    query), for the 3-, 5- and 10-year reviews of ``reviews``."""
    inspections = list(held_inspections(years, subtree_of=unit))
    rows = []
    for i, inspection in enumerate(inspections, start=1):
        plan = inspection.plan
        rows.append([
            i, str(plan.year), plan.unit.name, plan.number_symbol or plan.title, inspection.unit.name,
            str(InspectionStatus(inspection.status).label),
            str(Assessment(inspection.assessment).label) if inspection.assessment else "",
            inspection.conclusion_date.strftime("%d/%m/%Y") if inspection.conclusion_date else "",
            inspection.recommendation_count, inspection.open_count,
        ])
    plans = len({inspection.plan_id for inspection in inspections})
    return ReviewSection(
        title=str(_("Công tác kiểm tra việc thực hiện Chỉ thị")),
        header=REVIEW_HEADER, rows=rows,
        text=(f"Trong {period_text(years)}, đã tổ chức {number(len(rows))} cuộc kiểm tra đơn vị theo {number(plans)} "
              f"kế hoạch kiểm tra; tổng số kiến nghị sau kiểm tra: {number(sum(r[8] for r in rows))}, chưa hoàn thành: "
              f"{number(sum(r[9] for r in rows))}.") if rows else "",
        empty_text=f"Trong {period_text(years)} chưa tổ chức cuộc kiểm tra nào.",
    )
