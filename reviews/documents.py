"""The periodic report documents the platform drafts from accepted data (seed II.4.1, II.4.2, II.5).

- the annual report on supervision and criticism to the People's Council (HĐND) of the same level,
- the same to the standing committee of the Party committee of the same level,
- the 3-year and 5-year preliminary reviews (sơ kết) and the 10-year final review (tổng kết) of
  Directive 18, over the years after the directive's year (3 years: 2023-2025 for 2022).

Every figure comes from the roll-up of the unit's subtree counting accepted reports only
(``rollup_years(..., accepted_only=True)``): what the units have reported and their parents have
accepted, nothing typed twice. The assessment sections are left as marked placeholders for the
cadres to write. One content model (``ReportDocument`` and its rows) feeds both exports: the
``.docx`` in the Decree 30 layout of the plans (``plans.exporting``) and the tables as ``.xlsx``.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO

from django.utils.translation import gettext_lazy as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from orgtree.models import OrgUnit
from plans.exporting import DocxWriter, place_and_date, set_up_page
from plans.parsing.timeframes import DEFAULT_DIRECTIVE_YEAR, Milestone
from reviews.models import Indicator
from reviews.rollup.types import Measures
from reviews.services.errors import ReviewError
from reviews.services.reports import current_plan

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"docx": DOCX_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}

DIRECTIVE = (
    "Chỉ thị số 18-CT/TW ngày 26/10/2022 của Ban Bí thư Trung ương Đảng về phát huy vai trò, nâng cao chất "
    "lượng, hiệu quả công tác giám sát, phản biện xã hội của Mặt trận Tổ quốc Việt Nam và các tổ chức chính "
    "trị - xã hội"
)
WORK = "hoạt động giám sát, phản biện xã hội của Mặt trận Tổ quốc Việt Nam và các tổ chức chính trị - xã hội"


def placeholder(what: str) -> str:
    """A narrative part the platform does not write: clearly marked for the cadre."""
    return f"[{what} — do cán bộ viết]"


@dataclass(frozen=True)
class DocumentKind:
    code: str  # as in URLs and the API: "annual-council", "review-3"
    label: str
    milestone: Milestone | None = None  # the review's milestone; None for the annual reports

    @property
    def is_review(self) -> bool:
        return self.milestone is not None

    def years(self, year: int, directive_year: int) -> list[int]:
        """The years the document covers. A review covers the years after the directive's, up to
        its milestone year; it exists only for that year."""
        if self.milestone is None:
            return [year]
        return list(range(directive_year + 1, self.milestone.year(directive_year) + 1))


KINDS = {
    kind.code: kind
    for kind in (
        DocumentKind("annual-council", _("Báo cáo hằng năm gửi Hội đồng nhân dân")),
        DocumentKind("annual-party", _("Báo cáo hằng năm gửi Ban Thường vụ cấp ủy")),
        DocumentKind("review-3", _("Sơ kết 3 năm thực hiện Chỉ thị 18"), Milestone("preliminary", 3)),
        DocumentKind("review-5", _("Sơ kết 5 năm thực hiện Chỉ thị 18"), Milestone("preliminary", 5)),
        DocumentKind("review-10", _("Tổng kết 10 năm thực hiện Chỉ thị 18"), Milestone("final", 10)),
    )
}


def directive_year_of(unit: OrgUnit) -> int:
    """The directive's year as the unit's plan in force counts it (2022 unless it says otherwise)."""
    plan = current_plan(unit)
    return (plan.directive_year if plan is not None and plan.directive_year else None) or DEFAULT_DIRECTIVE_YEAR


def available_kinds(year: int, directive_year: int) -> list[DocumentKind]:
    """The annual reports every year; a review in its milestone year only."""
    return [kind for kind in KINDS.values() if not kind.is_review or kind.milestone.year(directive_year) == year]


def get_kind(code: str, year: int, directive_year: int) -> DocumentKind:
    kind = KINDS.get(code)
    if kind is None:
        raise ReviewError(
            f"Loại báo cáo không hợp lệ: {code!r}. Chọn một trong: {', '.join(KINDS)}.",
            f"Unknown report kind {code!r}. Choose one of: {', '.join(KINDS)}.",
            code="unknown_kind",
        )
    if kind not in available_kinds(year, directive_year):
        milestone_year = kind.milestone.year(directive_year)
        raise ReviewError(
            f"{kind.milestone.label} được lập cho năm {milestone_year}, không phải năm {year}.",
            f"The {kind.milestone.years_after}-year review is drafted for {milestone_year}, not {year}.",
            code="not_available",
        )
    return kind


# -- sections other apps add to the reviews ----------------------------------------------------------
@dataclass
class ReviewSection:
    """A titled table another app adds to the 3-, 5- and 10-year reviews (the inspections held in
    the period, ...). Cells as ``cell_text`` writes them: counts as ints, rates as floats."""

    title: str
    header: list[str]
    rows: list[list]
    text: str = ""  # a sentence before the table (the totals, in words)
    empty_text: str = ""  # written instead of the table when there are no rows


ReviewSectionProvider = Callable[[OrgUnit, list[int]], "ReviewSection | None"]
_review_sections: list[ReviewSectionProvider] = []


def register_review_section(provider: ReviewSectionProvider) -> ReviewSectionProvider:
    """Add ``provider(unit, years) -> ReviewSection | None`` to every review. Apps above reviews
    register theirs in ``AppConfig.ready()``: reviews imports none of them. Registering twice is
    harmless (ready() may run again in tests)."""
    if provider not in _review_sections:
        _review_sections.append(provider)
    return provider


def review_sections(unit: OrgUnit, years: list[int]) -> list[ReviewSection]:
    return [section for provider in _review_sections if (section := provider(unit, years)) is not None]


# -- the content ------------------------------------------------------------------------------------
def combine(measures) -> Measures:
    """The sum of several years' (or units') measures; completion and rates follow from the sums."""
    total = Measures()
    for m in measures:
        for f in dataclasses.fields(Measures):
            if f.name == "indicators":
                for code, value in m.indicators.items():
                    total.indicators[code] = total.indicators.get(code, 0) + value
            else:
                setattr(total, f.name, getattr(total, f.name) + getattr(m, f.name))
    return total


@dataclass
class UnitLine:
    """One line of the table by unit: the unit's own report, or a child and its subtree."""

    label: str
    code: str
    measures: Measures


@dataclass
class ReportDocument:
    unit: OrgUnit
    kind: DocumentKind
    year: int
    years: list[int]
    directive_year: int
    by_year: dict  # year -> Measures of the whole subtree
    total: Measures  # over every year covered
    lines: list[UnitLine]  # the unit's own report first, then each child's subtree; they add up to ``total``
    indicators: list  # Indicator rows, catalogue order, every one the figures mention
    sections: list[ReviewSection] = field(default_factory=list)  # added by other apps; reviews only

    @property
    def period_text(self) -> str:
        return f"năm {self.year}" if len(self.years) == 1 else f"giai đoạn {self.years[0]} - {self.years[-1]}"

    @property
    def subject(self) -> str:
        if self.kind.is_review:
            return f"{self.kind.milestone.label} thực hiện {DIRECTIVE} ({self.period_text})"
        return f"Kết quả thực hiện {WORK} {self.period_text}"

    def filename(self, fmt: str) -> str:
        return f"bao-cao-{self.kind.code}-{self.unit.code}-{self.year}.{fmt}"


def draft(unit: OrgUnit, year: int, kind_code: str) -> ReportDocument:
    """The document's content: figures of the accepted reports of ``unit``'s subtree."""
    from reviews.rollup.reading import rollup_years  # written beside this module; imported when used

    directive_year = directive_year_of(unit)
    kind = get_kind(kind_code, year, directive_year)
    years = kind.years(year, directive_year)
    rollups = rollup_years(unit, years, accepted_only=True)
    by_year = {y: rollups[y].total for y in years}
    own = combine(rollups[y].own for y in years)
    children: dict[str, UnitLine] = {}
    for y in years:
        for row in rollups[y].by_child:
            code = row.unit.code if row.unit is not None else row.key
            line = children.setdefault(code, UnitLine(row.label, code, Measures()))
            line.measures = combine([line.measures, row.measures])
    codes = set()
    for measures in by_year.values():
        codes.update(measures.indicators)
    indicators = [i for i in Indicator.objects.order_by("order", "code") if i.active or i.code in codes]
    return ReportDocument(
        unit=unit, kind=kind, year=year, years=years, directive_year=directive_year, by_year=by_year,
        total=combine(by_year.values()),
        lines=[UnitLine(f"{unit.name} (báo cáo của cấp mình)", unit.code, own), *children.values()],
        indicators=indicators,
        sections=review_sections(unit, years) if kind.is_review else [],
    )


# -- numbers as a Vietnamese text writes them ---------------------------------------------------------
def number(value: int) -> str:
    """1234567 -> "1.234.567"."""
    return f"{value:,}".replace(",", ".")


def decimal(value: float | None) -> str:
    """66.7 -> "66,7"; no base -> "—"."""
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def percent(value: float | None) -> str:
    """66.7 -> "66,7%"; no base -> "—"."""
    return "—" if value is None else decimal(value) + "%"


def cell_text(value) -> str:
    """A table cell: counts as numbers, rates (the "(%)" columns) as decimals, text as it is."""
    if value is None or isinstance(value, float):
        return decimal(value)
    return number(value) if isinstance(value, int) else str(value)


# The columns of the table by unit (and of the yearly table of a review), shared by both exports.
UNIT_COLUMNS = [
    ("Nhiệm vụ - kỳ báo cáo", lambda m: m.tasks),
    ("Hoàn thành", lambda m: m.done),
    ("Đang thực hiện", lambda m: m.in_progress),
    ("Không hoàn thành", lambda m: m.not_done),
    ("Chưa thực hiện", lambda m: m.not_started),
    ("Quá hạn", lambda m: m.overdue),
    ("Tỷ lệ hoàn thành (%)", lambda m: m.completion),
    ("Báo cáo phải gửi", lambda m: m.reports_expected),
    ("Đã gửi", lambda m: m.reports_submitted),
    ("Gửi đúng hạn", lambda m: m.reports_on_time),
    ("Đã chấp nhận", lambda m: m.reports_accepted),
]


def task_sentence(m: Measures) -> str:
    return (
        f"Tổng số nhiệm vụ - kỳ báo cáo: {number(m.tasks)}; đã hoàn thành: {number(m.done)}; đang thực hiện: "
        f"{number(m.in_progress)}; không hoàn thành: {number(m.not_done)}; chưa thực hiện: {number(m.not_started)}; "
        f"quá hạn chưa hoàn thành: {number(m.overdue)}. Tỷ lệ hoàn thành chung (bình quân theo nhiệm vụ - kỳ "
        f"báo cáo): {percent(m.completion)}."
    )


def reporting_sentence(m: Measures) -> str:
    return (
        f"Số báo cáo phải gửi: {number(m.reports_expected)}; đã gửi: {number(m.reports_submitted)} "
        f"({percent(m.submitted_rate)}); gửi đúng hạn: {number(m.reports_on_time)} ({percent(m.on_time_rate)}); "
        f"đã được cấp trên chấp nhận: {number(m.reports_accepted)} ({percent(m.accepted_rate)}); "
        f"được miễn báo cáo: {number(m.reports_waived)}."
    )


# -- .docx ------------------------------------------------------------------------------------------
_AREA_PREFIXES = (  # how an area's name starts -> its Party committee
    ("thành phố", "Thành ủy"), ("tỉnh", "Tỉnh ủy"), ("huyện", "Huyện ủy"), ("quận", "Quận ủy"), ("thị xã", "Thị ủy"),
)


def place_of(unit: OrgUnit) -> str:
    """"tỉnh Điện Biên" -> "Điện Biên" (Decree 30 writes the place without its kind)."""
    area = unit.area_name.strip()
    for prefix in ("thành phố", "tỉnh", "huyện", "quận", "thị xã", "thị trấn", "phường", "xã"):
        if area.lower().startswith(prefix + " "):
            return area[len(prefix) + 1:].strip()
    return area or "……"


def party_committee(unit: OrgUnit) -> str:
    area = unit.area_name.strip()
    for prefix, committee in _AREA_PREFIXES:
        if area.lower().startswith(prefix + " "):
            return f"{committee} {area[len(prefix) + 1:].strip()}"
    if unit.parent_id is None:
        return "Ban Bí thư Trung ương Đảng"
    return f"Đảng ủy {area}" if area else "cấp ủy cùng cấp"


def _addressee(document: ReportDocument) -> str:
    area = document.unit.area_name.strip() or document.unit.name
    if document.kind.code == "annual-council":
        return f"Thường trực Hội đồng nhân dân {area}"
    return f"Ban Thường vụ {party_committee(document.unit)}"


class ReportWriter(DocxWriter):
    cell_text = staticmethod(cell_text)

    def placeholder(self, what: str):
        self.paragraph(placeholder(what), italic=True)

    def review_section(self, section: ReviewSection):
        if section.text:
            self.paragraph(section.text)
        if section.rows:
            self.grid(section.header, section.rows)
        elif section.empty_text:
            self.paragraph(section.empty_text)


def indicator_table(document: ReportDocument) -> tuple[list[str], list[list]]:
    """Every indicator with its value in each year covered and its sum."""
    multi = len(document.years) > 1
    header = ["STT", "Chỉ tiêu", "Đơn vị tính", *([str(y) for y in document.years] if multi else []), "Tổng số"]
    rows = []
    for i, indicator in enumerate(document.indicators, start=1):
        per_year = [document.by_year[y].indicators.get(indicator.code, 0) for y in document.years] if multi else []
        rows.append([i, indicator.name, indicator.measure_unit, *per_year, document.total.indicators.get(indicator.code, 0)])
    return header, rows


def unit_table(document: ReportDocument) -> tuple[list[str], list[list]]:
    """The table by unit; its last line, the whole subtree, is the sum of the lines above it."""
    header = ["STT", "Đơn vị", *[title for title, _ in UNIT_COLUMNS]]
    rows = [[i, line.label, *[get(line.measures) for _, get in UNIT_COLUMNS]] for i, line in enumerate(document.lines, start=1)]
    rows.append(["", "Tổng cộng", *[get(document.total) for _, get in UNIT_COLUMNS]])
    return header, rows


def year_table(document: ReportDocument) -> tuple[list[str], list[list]]:
    header = ["Năm", *[title for title, _ in UNIT_COLUMNS]]
    rows = [[str(y), *[get(document.by_year[y]) for _, get in UNIT_COLUMNS]] for y in document.years]
    rows.append(["Cả giai đoạn", *[get(document.total) for _, get in UNIT_COLUMNS]])
    return header, rows


def export_docx(document: ReportDocument) -> bytes:
    docx = Document()
    set_up_page(docx)
    w = ReportWriter(docx)
    unit = document.unit
    w.letterhead([unit.name.upper(), "BAN THƯỜNG TRỰC"], "      /BC-MTTQ-BTT", place_and_date(place_of(unit), None))
    w.paragraph("BÁO CÁO", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(12)
    w.paragraph(document.subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    w.paragraph(f"Kính gửi: {_addressee(document)}", align=WD_ALIGN_PARAGRAPH.CENTER)
    w.paragraph(
        f"Thực hiện {DIRECTIVE}; Ban Thường trực Ủy ban MTTQ Việt Nam {unit.area_name or unit.name} báo cáo kết quả "
        f"thực hiện {WORK} {document.period_text} như sau (số liệu tổng hợp từ báo cáo đã được chấp nhận của các "
        f"đơn vị trong hệ thống):"
    )
    if document.kind.is_review:
        w.heading("I. TÌNH HÌNH TRIỂN KHAI THỰC HIỆN CHỈ THỊ")
        w.placeholder("Công tác quán triệt, tuyên truyền, cụ thể hóa Chỉ thị")
        w.heading(f"II. KẾT QUẢ THỰC HIỆN {document.period_text.upper()}")
    else:
        w.heading("I. KẾT QUẢ THỰC HIỆN")
    total = document.total
    w.heading("1. Thực hiện kế hoạch triển khai Chỉ thị số 18-CT/TW")
    w.paragraph(task_sentence(total))
    w.heading("2. Tình hình báo cáo của các đơn vị")
    w.paragraph(reporting_sentence(total))
    w.heading("3. Kết quả giám sát, phản biện xã hội")
    w.grid(*indicator_table(document))
    w.placeholder("Đánh giá kết quả giám sát, phản biện xã hội; nêu các cuộc giám sát, phản biện tiêu biểu")
    if document.kind.is_review:
        w.heading("4. Kết quả qua từng năm")
        w.grid(*year_table(document))
    w.heading(f"{5 if document.kind.is_review else 4}. Kết quả theo đơn vị")
    w.grid(*unit_table(document))
    for heading_number, section in enumerate(document.sections, start=6):
        w.heading(f"{heading_number}. {section.title}")
        w.review_section(section)
    section = 3 if document.kind.is_review else 2
    numerals = ("I", "II", "III", "IV", "V", "VI")
    w.heading(f"{numerals[section - 1]}. ĐÁNH GIÁ CHUNG")
    w.heading("1. Ưu điểm")
    w.placeholder("Đánh giá ưu điểm")
    w.heading("2. Hạn chế, nguyên nhân")
    w.placeholder("Đánh giá hạn chế và nguyên nhân")
    if document.kind.is_review:
        w.heading("3. Bài học kinh nghiệm")
        w.placeholder("Bài học kinh nghiệm")
    next_period = f"NĂM {document.year + 1}" if not document.kind.is_review else "THỜI GIAN TỚI"
    w.heading(f"{numerals[section]}. PHƯƠNG HƯỚNG, NHIỆM VỤ {next_period}")
    w.placeholder("Phương hướng, nhiệm vụ")
    w.heading(f"{numerals[section + 1]}. KIẾN NGHỊ, ĐỀ XUẤT")
    w.placeholder("Kiến nghị, đề xuất")
    w.standing_board_closing(unit, "Như kính gửi", placeholder("Họ và tên"))
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


# -- .xlsx ------------------------------------------------------------------------------------------
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def export_xlsx(document: ReportDocument) -> bytes:
    """The tables of the document, as numbers (percentages as numbers too), one sheet each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    summary = workbook.active
    summary.title = "Tổng hợp"
    summary.append([document.unit.name])
    summary.append([document.subject])
    summary.append([])
    summary.append(["Số liệu", "Giá trị"])
    for title, get in UNIT_COLUMNS:
        summary.append([title, get(document.total)])
    for title, value in (("Được miễn báo cáo", document.total.reports_waived),
                         ("Tỷ lệ đã gửi (%)", document.total.submitted_rate),
                         ("Tỷ lệ gửi đúng hạn (%)", document.total.on_time_rate),
                         ("Tỷ lệ đã chấp nhận (%)", document.total.accepted_rate)):
        summary.append([title, value])
    summary["A1"].font = summary["A4"].font = summary["B4"].font = Font(bold=True)
    tables = [("Chỉ tiêu", indicator_table(document)), ("Theo đơn vị", unit_table(document))]
    if document.kind.is_review:
        tables.insert(1, ("Theo năm", year_table(document)))
    tables += [(section.title, (section.header, section.rows)) for section in document.sections]
    for title, (header, rows) in tables:
        add_table_sheet(workbook, title, header, rows)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def add_table_sheet(workbook, title: str, header: list[str], rows: list[list]):
    """A sheet holding one table: the header in bold, the cells as they are (numbers stay numbers)."""
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(_SHEET_NAME.sub(" ", title)[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.column_dimensions["B"].width = 60
    return sheet


def export(document: ReportDocument, fmt: str) -> bytes:
    if fmt == "docx":
        return export_docx(document)
    if fmt == "xlsx":
        return export_xlsx(document)
    raise ReviewError(
        f"Định dạng không hợp lệ: {fmt!r}. Chọn docx hoặc xlsx.", f"Unknown format {fmt!r}. Choose docx or xlsx.",
        code="unknown_format",
    )
