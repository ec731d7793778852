"""The inspection plan and the decision setting up a team, as .docx in the Decree 30 layout.

Both reuse the plans' writer (``plans.exporting.DocxWriter``: letterhead, paragraphs, signature
block) so that every document the platform writes looks the same.
"""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from inspections.models import Inspection, InspectionPlan, InspectionStatus, Team
from plans.exporting import DocxWriter, issuer_lines, number_symbol, place_and_date, set_up_page

STORED = "Lưu: VT"


def _docx_bytes(build) -> bytes:
    docx = Document()
    set_up_page(docx)
    build(DocxWriter(docx))
    buffer = BytesIO()
    docx.save(buffer)
    return buffer.getvalue()


def _day(value) -> str:
    return f"{value:%d/%m/%Y}" if value else "……"


def _letterhead(writer: DocxWriter, plan: InspectionPlan, number: str, symbol: str, day) -> None:
    writer.letterhead(
        issuer_lines(plan.unit, signer_on_behalf=plan.signer_on_behalf, symbol=symbol),
        number_symbol(number, symbol, "KH"), place_and_date(plan.place, day),
    )


def _heading(writer: DocxWriter, text: str) -> None:
    writer.paragraph(text, bold=True, indent=False)


def _kind_and_title(writer: DocxWriter, kind: str, lines: list[str]) -> None:
    writer.paragraph(kind, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0)).paragraph_format.space_before = Pt(12)
    for line in lines:
        if line.strip():
            writer.paragraph(line.strip(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
    writer.paragraph("", align=WD_ALIGN_PARAGRAPH.CENTER)


def _inspected(plan: InspectionPlan) -> list[Inspection]:
    return list(plan.inspections.exclude(status=InspectionStatus.CANCELLED).select_related("unit", "team"))


def member_line(member) -> str:
    """"Ông (bà) Lò Văn Cán, Ủy viên Ban Thường trực, Ủy ban MTTQ tỉnh – Trưởng đoàn"."""
    who = ", ".join(part for part in (member.name, member.title, member.organization) if part)
    return f"Ông (bà) {who} – {member.get_role_display()}"


def window_line(inspection: Inspection) -> str:
    return f"{inspection.unit.name}: từ ngày {_day(inspection.window_start)} đến hết ngày {_day(inspection.window_end)}"


# -- the inspection plan ------------------------------------------------------------------------------------
def plan_docx(plan: InspectionPlan) -> bytes:
    inspections = _inspected(plan)
    teams = list(plan.teams.prefetch_related("members"))

    def build(writer: DocxWriter) -> None:
        _letterhead(writer, plan, plan.number, plan.symbol, plan.date)
        _kind_and_title(writer, "KẾ HOẠCH", plan.title.splitlines())
        _heading(writer, "I. MỤC ĐÍCH, YÊU CẦU")
        writer.text_block(plan.purpose or "……")
        _heading(writer, "II. NỘI DUNG KIỂM TRA")
        writer.text_block(plan.content or "……")
        _heading(writer, "III. ĐỐI TƯỢNG, THỜI GIAN KIỂM TRA")
        writer.paragraph(f"Thời gian: từ ngày {_day(plan.start_date)} đến ngày {_day(plan.end_date)}.")
        for i, inspection in enumerate(inspections, start=1):
            team = f" ({inspection.team.name})" if inspection.team_id else ""
            writer.paragraph(f"{i}. {window_line(inspection)}{team}.")
        if plan.schedule.strip():
            writer.text_block(plan.schedule)
        _heading(writer, "IV. THÀNH PHẦN ĐOÀN KIỂM TRA")
        for team in teams:
            decision = number_symbol(team.decision_number, team.decision_symbol, "QĐ") if team.decision_symbol else ""
            writer.paragraph(f"{team.name}" + (f" (Quyết định số {decision.strip()})" if decision else "") + ":", italic=True)
            for i, member in enumerate(team.members.all(), start=1):
                writer.paragraph(f"{i}. {member_line(member)}.")
        if not teams:
            writer.paragraph("Ban Thường trực sẽ quyết định thành lập đoàn kiểm tra.")
        _heading(writer, "V. TỔ CHỨC THỰC HIỆN")
        writer.paragraph("Các đơn vị được kiểm tra chuẩn bị báo cáo, hồ sơ, tài liệu và tạo điều kiện để đoàn "
                         "kiểm tra hoàn thành nhiệm vụ; đoàn kiểm tra báo cáo kết quả với Ban Thường trực.")
        writer.signature_block([*[i.unit.name for i in inspections], STORED],
                               plan.signer_on_behalf, plan.signer_title, plan.signer_name)

    return _docx_bytes(build)


# -- the decision setting up a team ----------------------------------------------------------------------------
def team_decision_docx(team: Team) -> bytes:
    plan = team.plan
    inspections = [i for i in _inspected(plan) if i.team_id == team.pk]
    board = issuer_lines(plan.unit, signer_on_behalf=plan.signer_on_behalf, symbol=team.decision_symbol or plan.symbol)

    def build(writer: DocxWriter) -> None:
        _letterhead(writer, plan, team.decision_number, team.decision_symbol, team.decision_date)
        _kind_and_title(writer, "QUYẾT ĐỊNH", [f"Về việc thành lập {team.name}"])
        writer.paragraph(" ".join(board).upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        basis = f"Kế hoạch số {plan.number_symbol}" if plan.number else "Kế hoạch"
        writer.paragraph(f"Căn cứ {basis} ngày {_day(plan.date)} về {plan.title.strip()};", italic=True)
        writer.paragraph("QUYẾT ĐỊNH:", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        writer.paragraph(f"Điều 1. Thành lập {team.name}, gồm các ông (bà) có tên sau:", bold=False)
        for i, member in enumerate(team.members.all(), start=1):
            writer.paragraph(f"{i}. {member_line(member)};")
        writer.paragraph("Điều 2. Đoàn kiểm tra có nhiệm vụ: " + (team.duties.strip() or "kiểm tra theo Kế hoạch.")
                         + (" Đơn vị được kiểm tra:" if inspections else ""))
        for inspection in inspections:
            writer.paragraph(f"- {window_line(inspection)};")
        writer.paragraph("Đoàn kiểm tra tự giải thể sau khi hoàn thành nhiệm vụ.")
        writer.paragraph("Điều 3. Quyết định có hiệu lực kể từ ngày ký. Các ông (bà) có tên tại Điều 1 và các "
                         "đơn vị có liên quan chịu trách nhiệm thi hành Quyết định này.")
        writer.signature_block(["Như Điều 3", STORED], plan.signer_on_behalf, plan.signer_title, plan.signer_name)

    return _docx_bytes(build)


def filename(number: str, symbol: str, fallback: str) -> str:
    stem = "/".join(part for part in (number, symbol) if part).replace("/", "-").strip()
    return f"{stem or fallback}.docx"


def plan_filename(plan: InspectionPlan) -> str:
    return filename(plan.number, plan.symbol, f"ke-hoach-kiem-tra-{plan.uuid}")


def team_decision_filename(team: Team) -> str:
    return filename(team.decision_number, team.decision_symbol, f"quyet-dinh-doan-kiem-tra-{team.uuid}")
