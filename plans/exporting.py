"""Export a plan document as .docx in the layout of Decree 30/2020/NĐ-CP (Appendix I).

The layout, top to bottom: a borderless two-column header table (issuing body and "Số: ..." on the
left; national name, motto and "place, date" on the right), the kind in bold capitals and the title
centred, the preamble, the numbered sections with their tasks (each followed by "Thời gian thực
hiện:", "Cơ quan chủ trì:", "Cơ quan phối hợp:"), section III, the closing paragraph, and a
borderless two-column signature table (recipients in small type on the left; on-behalf line, title,
space for the signature and the name on the right).

The text is written the way people write plans, label for label, so that the plan importer reads
an exported file back into the same structure (tests/plans/test_export_docx.py checks the round
trip through the .docx reader).
"""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from plans.models import DocumentKind, PlanDocument
from plans.services.outline import RESPONSIBILITIES_TITLE, PlanOutline, SectionOutline, load_outline, task_blocks

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FONT = "Times New Roman"
BODY_SIZE = Pt(14)
HEADER_SIZE = Pt(13)
RECIPIENT_SIZE = Pt(11)

# Labels as the seed plan writes them; the importer also accepts their variants.
TIMEFRAME_LABEL = "Thời gian thực hiện:"
LEAD_LABEL = "Cơ quan chủ trì:"
COORDINATOR_LABEL = "Cơ quan phối hợp:"
OUTPUT_LABEL = "Sản phẩm:"
RECIPIENTS_LABEL = "Nơi nhận:"
# Several parties of one role are written "A; B" and the parties of one written item "HĐND, UBND
# cùng cấp": the importer splits them the same way again.
PARTY_SEPARATOR = "; "
GROUP_SEPARATOR = ", "


def export_docx(document: PlanDocument) -> bytes:
    outline = load_outline(document)
    docx = Document()
    set_up_page(docx)
    writer = DocxWriter(docx)
    writer.header(document)
    writer.title(document)
    writer.preamble(outline)
    writer.body(outline)
    writer.closing(document)
    writer.signature(document)
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def export_filename(document: PlanDocument) -> str:
    """"15-KH-MTTQ-BTT.docx": the number and symbol, with "/" (not allowed in names) as "-"."""
    stem = document.number_symbol.replace("/", "-").strip() or f"ke-hoach-{document.uuid}"
    return f"{stem}.docx"


# -- page and styles ------------------------------------------------------------------------------
def set_up_page(docx) -> None:
    # Decree 30, Appendix I: A4; margins top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
    for section in docx.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin = section.bottom_margin = Mm(20)
        section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = docx.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = BODY_SIZE
    # Word picks the font for Vietnamese letters from the East Asian and complex-script slots too.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15


def borderless_table(docx, widths):
    table = docx.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)
    for cell, width in zip(table.rows[0].cells, widths):
        cell.width = width
        # A new cell holds one empty paragraph; the writers below fill it rather than leave a blank line.
    return table.rows[0].cells


class DocxWriter:
    """Paragraphs and the Decree 30 parts (letterhead, signature) of any document the platform writes."""

    cell_text = staticmethod(str)  # how a table cell's value is written (reports write figures their way)

    def __init__(self, docx):
        self.docx = docx

    # -- building blocks --------------------------------------------------------------------------
    def paragraph(self, text="", *, container=None, bold=False, italic=False, size=None,
                  align=None, indent=True, space_after=None):
        container = container or self.docx
        paragraph = _fresh_paragraph(container)
        if text:
            run = paragraph.add_run(text)
            run.bold, run.italic = bold or None, italic or None
            if size:
                run.font.size = size
        fmt = paragraph.paragraph_format
        if align is not None:
            fmt.alignment = align
        elif container is self.docx:
            fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            if indent:
                fmt.first_line_indent = Cm(1)
        if space_after is not None:
            fmt.space_after = space_after
        return paragraph

    def labelled(self, label: str, value: str):
        """"Thời gian thực hiện: Thường xuyên." with the label in bold italics."""
        paragraph = self.paragraph()
        label_run = paragraph.add_run(label)
        label_run.bold = label_run.italic = True
        paragraph.add_run(f" {value}")
        return paragraph

    def text_block(self, text: str, **kwargs):
        for line in text.splitlines():
            if line.strip():
                self.paragraph(line.strip(), **kwargs)

    # -- parts of the document ----------------------------------------------------------------------
    def header(self, document: PlanDocument):
        self.letterhead(_issuer_lines(document), _number_symbol(document), place_and_date(document.place, document.date))

    def letterhead(self, issuer: list[str], number_symbol: str, place_date: str):
        """The Decree 30 header of any document: issuing body and number on the left, national
        name, motto and place and date on the right."""
        left, right = borderless_table(self.docx, (Mm(70), Mm(95)))
        for i, line in enumerate(issuer):
            # The body that signs (BAN THƯỜNG TRỰC) is bold; the committee above it is not.
            self.paragraph(line, container=left, bold=i == len(issuer) - 1, size=HEADER_SIZE,
                           align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
        self.paragraph(f"Số: {number_symbol}", container=left, size=HEADER_SIZE,
                       align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(6)
        self.paragraph(NATIONAL_NAME, container=right, bold=True, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
        self.paragraph(MOTTO, container=right, bold=True, size=HEADER_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
        self.paragraph(place_date, container=right, italic=True, size=HEADER_SIZE,
                       align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(6)

    def title(self, document: PlanDocument):
        kind = DocumentKind(document.kind).label if document.kind in DocumentKind.values else document.kind
        self.paragraph(str(kind).upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(12)
        for line in document.title.splitlines():
            if line.strip():
                self.paragraph(line.strip(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
        self.paragraph("", align=WD_ALIGN_PARAGRAPH.CENTER)

    def preamble(self, outline: PlanOutline):
        document = outline.document
        if document.preamble.strip():
            self.text_block(document.preamble)
        elif outline.legal_bases:
            # No preamble kept: the legal bases make one, the way plans open ("Thực hiện ...; ...").
            self.paragraph("; ".join(basis.text.strip().rstrip(";.") for basis in outline.legal_bases) + ".")

    def body(self, outline: PlanOutline):
        responsibilities_written = False
        for section in outline.sections:
            self.section(section)
            if outline.responsibilities and section.holds_responsibilities:
                self.responsibilities(outline.responsibilities)
                responsibilities_written = True
        self.tasks(outline.loose_tasks, heading=None)
        if outline.responsibilities and not responsibilities_written:
            numeral = _roman(len(outline.sections) + 1)
            self.paragraph(f"{numeral}. {RESPONSIBILITIES_TITLE}", bold=True, indent=False)
            self.responsibilities(outline.responsibilities)

    def section(self, outline: SectionOutline, depth: int = 0):
        section = outline.section
        self.paragraph(f"{outline.short_number}. {section.title}".strip(), bold=True, indent=depth > 0)
        if section.text.strip():
            self.text_block(section.text)
        self.tasks(outline.tasks, heading=outline)
        for subsection in outline.subsections:
            self.section(subsection, depth + 1)

    def tasks(self, tasks, heading: SectionOutline | None):
        written_numbers = set()
        for group in task_blocks(tasks):
            for task in group:
                self.task(task, heading, first_of_number=task.number not in written_numbers)
                written_numbers.add(task.number)
            self.attributes(group[-1])
            for task in group:
                self.text_block(task.notes)

    def task(self, task, heading: SectionOutline | None, first_of_number: bool):
        lines = [line.strip() for line in task.text.splitlines() if line.strip()] or [""]
        if task.bullet:
            # Seed 2.1: one numbered item written as bullets, each with its own attribute block;
            # the item's own words come once, before its first bullet.
            if first_of_number and task.number and not _repeats_heading(task.number, task.heading, heading):
                self.paragraph(f"{task.number}. {task.heading.strip()}".strip())
            lines[0] = lines[0] if lines[0].startswith("-") else f"- {lines[0]}"
        elif _repeats_heading(task.number, task.text, heading):
            # Seed 5: a group without numbered tasks is itself the task; its heading is written.
            lines = []
        elif task.number:
            lines[0] = f"{task.number}. {lines[0]}"
        for line in lines:
            self.paragraph(line)
        for step in task.steps:
            step = str(step).strip()
            self.paragraph(step if step.startswith(("-", "+", "*")) else f"- {step}")

    def attributes(self, task):
        if task.output.strip():
            self.labelled(OUTPUT_LABEL, task.output.strip())
        if task.timeframe_text.strip():
            self.labelled(TIMEFRAME_LABEL, task.timeframe_text.strip())
        if task.leads:
            self.labelled(LEAD_LABEL, written_parties(task.leads))
        if task.coordinators:
            self.labelled(COORDINATOR_LABEL, written_parties(task.coordinators))

    def responsibilities(self, responsibilities):
        for i, item in enumerate(responsibilities, start=1):
            # "III.1" is written "1." under "III.".
            number = item.number.rsplit(".", 1)[-1] or str(i)
            self.paragraph(f"{number}. {item.party}", bold=True)
            self.text_block(item.text)

    def closing(self, document: PlanDocument):
        if document.closing.strip():
            self.text_block(document.closing)

    def heading(self, text: str):
        self.paragraph(text, bold=True, indent=False)

    def grid(self, header: list[str], rows: list[list], *, size=Pt(11), text_columns: int = 2):
        """A bordered table: the header in bold, centred; the first ``text_columns`` columns' text
        on the left, the figures (and every later column) on the right."""
        table = self.docx.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header):
            self.paragraph(text, container=cell, bold=True, size=size, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
        for row in rows:
            for i, (cell, value) in enumerate(zip(table.add_row().cells, row)):
                figure = i >= text_columns or isinstance(value, int)
                self.paragraph(self.cell_text(value), container=cell, size=size, space_after=Pt(0),
                               align=WD_ALIGN_PARAGRAPH.RIGHT if figure else WD_ALIGN_PARAGRAPH.LEFT)
        self.paragraph("")
        return table

    def standing_board_closing(self, unit, first_recipient: str, signer_name: str):
        """The end of a report of a unit's standing board: recipients (the unit above among them),
        signed on behalf of the board by its chair."""
        recipients = [first_recipient]
        if unit.parent_id:
            recipients.append(f"Ban Thường trực Ủy ban MTTQ Việt Nam {unit.parent.area_name or unit.parent.name}")
        recipients.append("Lưu: VT")
        self.signature_block(recipients, "TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH", signer_name)

    def signature(self, document: PlanDocument):
        self.signature_block(document.recipients, document.signer_on_behalf, document.signer_title, document.signer_name)

    def signature_block(self, recipients, on_behalf: str, signer_title: str, signer_name: str):
        """Recipients in small type on the left; on-behalf line, title, room for the signature and
        the name on the right."""
        left, right = borderless_table(self.docx, (Mm(85), Mm(80)))
        self.paragraph(RECIPIENTS_LABEL, container=left, bold=True, italic=True, size=Pt(12), space_after=Pt(0))
        recipients = [str(r).strip().rstrip(";.") for r in recipients if str(r).strip()]
        for i, recipient in enumerate(recipients, start=1):
            # One recipient a line, "- ...;", the last (usually "Lưu: VT, ...") ending with ".".
            line = recipient if recipient.startswith("-") else f"- {recipient}"
            self.paragraph(line + ("." if i == len(recipients) else ";"), container=left, size=RECIPIENT_SIZE, space_after=Pt(0))
        centred = {"container": right, "align": WD_ALIGN_PARAGRAPH.CENTER, "space_after": Pt(0)}
        if on_behalf:
            self.paragraph(on_behalf, bold=True, **centred)
        if signer_title:
            self.paragraph(signer_title, bold=True, **centred)
        for _ in range(3):  # room for the signature and the seal
            self.paragraph("", **centred)
        if signer_name:
            self.paragraph(signer_name, bold=True, **centred)


def written_parties(parties) -> str:
    """The parties of one role as the plan writes them: "A; HĐND, UBND cùng cấp"."""
    groups: dict[int, list[str]] = {}
    for party in parties:
        groups.setdefault(party.group, []).append(party.text)
    return PARTY_SEPARATOR.join(GROUP_SEPARATOR.join(texts) for texts in groups.values())


def _fresh_paragraph(container):
    """The container's first paragraph while it is still empty (a new table cell has one), else a
    new paragraph: no blank line at the top of each cell."""
    paragraphs = getattr(container, "paragraphs", [])
    if len(paragraphs) == 1 and not paragraphs[0].text and not paragraphs[0].runs and container.__class__.__name__ == "_Cell":
        return paragraphs[0]
    return container.add_paragraph()


def _issuer_lines(document: PlanDocument) -> list[str]:
    return issuer_lines(document.unit, issuer_text=document.issuer_text,
                        signer_on_behalf=document.signer_on_behalf, symbol=document.symbol)


def issuer_lines(unit, *, issuer_text: str = "", signer_on_behalf: str = "", symbol: str = "") -> list[str]:
    """The issuing body of the letterhead: the written lines, or the unit's name and, when the
    document is signed on behalf of the standing board, "BAN THƯỜNG TRỰC"."""
    lines = [line.strip() for line in issuer_text.splitlines() if line.strip()]
    if lines:
        return lines
    # Imported from a text without a header (the seed): the issuing unit's name, and the standing
    # board when the document is signed on its behalf.
    lines = [unit.name.upper()]
    if "THƯỜNG TRỰC" in signer_on_behalf.upper() or symbol.upper().endswith("BTT"):
        lines.append("BAN THƯỜNG TRỰC")
    return lines


def _number_symbol(document: PlanDocument) -> str:
    return number_symbol(document.number, document.symbol, document.kind)


def number_symbol(number: str, symbol: str, fallback: str = "") -> str:
    """"15/KH-MTTQ-BTT"; a draft without a number keeps the space for it before the symbol (Decree 30)."""
    if number:
        return "/".join(part for part in (number, symbol) if part)
    return f"      /{symbol}" if symbol else "      /" + fallback


def place_and_date(place: str, day) -> str:
    place = place or "……"
    if day:
        # Decree 30: days below 10 and months below 3 take a leading zero ("ngày 05 tháng 02").
        month = f"{day.month:02d}" if day.month < 3 else str(day.month)
        return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, ngày …… tháng …… năm ……"


def _repeats_heading(number: str, text: str, heading: SectionOutline | None) -> bool:
    """Whether a task's number and words are those of the group heading just written."""
    return (
        heading is not None
        and number == heading.short_number
        and text.strip() == heading.section.title.strip()
    )


def _roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, numeral in numerals:
        while n >= value:
            out, n = out + numeral, n - value
    return out
