"""The conclusion of an inspection (kết luận kiểm tra) as .docx, in the Decree 30 layout of the plans
(``plans.exporting.DocxWriter``): letterhead, title, the findings, the overall assessment, the
conclusion, the recommendations as a table (responsible party, deadline), and the signature."""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from inspections.models import Inspection
from inspections.services.conclusions import number_symbol
from plans.exporting import DocxWriter, place_and_date, set_up_page

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
RECOMMENDATION_HEADER = ["STT", "Nội dung kiến nghị", "Đơn vị, người chịu trách nhiệm", "Thời hạn"]


def recommendation_rows(recommendations) -> list[list[str]]:
    return [[str(r.number), r.text, r.responsible, r.deadline.strftime("%d/%m/%Y")] for r in recommendations]


def export_docx(inspection: Inspection, recommendations) -> bytes:
    plan, unit = inspection.plan, inspection.unit
    docx = Document()
    set_up_page(docx)
    w = DocxWriter(docx)
    symbol = number_symbol(inspection) if inspection.conclusion_number else f"      /{inspection.conclusion_symbol or 'KL-MTTQ-BTT'}"
    w.letterhead([plan.unit.name.upper(), "BAN THƯỜNG TRỰC"], symbol, place_and_date(plan.place, inspection.conclusion_date))
    w.paragraph("KẾT LUẬN KIỂM TRA", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(12)
    w.paragraph(f"Việc thực hiện Chỉ thị số 18-CT/TW tại {unit.name}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    basis = f"Thực hiện {plan.title[:1].lower()}{plan.title[1:]}"
    if plan.number_symbol:
        basis += f" (số {plan.number_symbol})"
    team = inspection.team
    if team is not None:
        decision = "/".join(p for p in (team.decision_number, team.decision_symbol) if p)
        basis += f"; {team.name}" + (f" (Quyết định số {decision})" if decision else "")
        basis += f" đã tiến hành kiểm tra tại {unit.name}"
    w.paragraph(basis.rstrip(".") + ". Ban Thường trực kết luận như sau:")
    w.heading("I. KẾT QUẢ KIỂM TRA")
    w.text_block(inspection.findings or "……")
    w.heading("II. ĐÁNH GIÁ CHUNG")
    if inspection.assessment:
        w.labelled("Xếp loại:", str(inspection.get_assessment_display()))
    w.text_block(inspection.assessment_text)
    w.heading("III. KẾT LUẬN")
    w.text_block(inspection.conclusion_text or "……")
    w.heading("IV. KIẾN NGHỊ")
    rows = recommendation_rows(recommendations)
    if rows:
        w.grid(RECOMMENDATION_HEADER, rows, size=Pt(12), text_columns=len(RECOMMENDATION_HEADER))
        w.paragraph(f"{unit.name} báo cáo kết quả thực hiện các kiến nghị trên về Ban Thường trực {plan.unit.name} theo thời hạn nêu trên.")
    else:
        w.paragraph("Không có kiến nghị.", italic=True)
    w.signature_block([unit.name, f"Thành viên {team.name}" if team else "", "Lưu: VT"],
                      plan.signer_on_behalf or "TM. BAN THƯỜNG TRỰC", plan.signer_title, plan.signer_name)
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def filename(inspection: Inspection) -> str:
    stem = number_symbol(inspection).replace("/", "-").strip() or f"ket-luan-kiem-tra-{inspection.uuid}"
    return f"{stem}.docx"
