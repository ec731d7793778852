"""Robustness: other provinces' ways of writing a plan, encodings, and .docx with layout tables."""
import codecs
import io
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from plans.parsing import PlanReadError, parse_plan, parse_plan_text, read_document

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "plans"
SEED = ROOT / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"


def non_blank_lines(text: str) -> set[int]:
    return {n for n, line in enumerate(text.split("\n"), 1) if line.strip()}


# --- a province plan written differently ------------------------------------------------------

@pytest.fixture(scope="module")
def variants():
    return parse_plan(FIXTURES / "variants.txt")


def test_header_with_issuer_number_and_date_side_by_side(variants):
    assert variants.issuer_lines == ["ỦY BAN MTTQ VIỆT NAM TỈNH ĐIỆN BIÊN", "BAN THƯỜNG TRỰC"]
    assert (variants.number, variants.serial, variants.symbol, variants.kind) == ("21/KH-MTTQ-BTT", "21", "KH-MTTQ-BTT", "KH")
    assert (variants.place, variants.date) == ("Điện Biên", date(2024, 3, 14))
    assert variants.national_name == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert variants.motto == "Độc lập - Tự do - Hạnh phúc"
    assert variants.title == "Tổ chức hoạt động giám sát, phản biện xã hội năm 2024"


def test_label_variants_without_trailing_dots_and_with_tabs(variants):
    first = variants.tasks[0]
    assert first.number == "1.1" and first.section == "II.1"
    assert first.timeframe.text == "Quý III/2024" and first.timeframe.quarters == ((2024, 3),)
    assert first.leads == ["Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh"]
    assert first.coordinators == ["Hội Nông dân tỉnh", "Hội Liên hiệp Phụ nữ tỉnh"]
    assert first.output == "Báo cáo kết quả giám sát"


def test_several_labels_on_one_line_and_values_on_the_next_lines(variants):
    second = variants.tasks[1]
    assert second.timeframe.months == ((2024, 11),)
    assert second.leads == ["Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh"]
    assert second.coordinators == ["Sở Y tế", "Bảo hiểm xã hội tỉnh"]


def test_a_number_repeated_by_mistake_keeps_both_tasks(variants):
    assert [t.key for t in variants.tasks] == ["1.1", "1.2", "1.2~2", "2.1"]
    repeated = variants.tasks[2]
    assert repeated.timeframe.kind == "range" and repeated.output == "Báo cáo và kiến nghị gửi UBND tỉnh"
    # "2.1. 2.1. Tổ chức ..." written twice on one line.
    assert variants.tasks[3].text.startswith("Tổ chức hội nghị phản biện")
    assert variants.tasks[3].timeframe.kind == "yearly" and variants.tasks[3].timeframe.when_needed
    assert any("1.2" in w for w in variants.warnings) and any("2.1" in w for w in variants.warnings)


def test_signer_beside_recipients(variants):
    assert [r.text for r in variants.recipients] == ["Ban Thường trực UBTWMTTQVN (b/c)", "Thường trực Tỉnh ủy (b/c)", "Lưu: VT"]
    assert variants.signer.on_behalf == "TM. BAN THƯỜNG TRỰC\nKT. CHỦ TỊCH"
    assert (variants.signer.title, variants.signer.name) == ("PHÓ CHỦ TỊCH", "Nguyễn Thị Hoa")
    assert variants.unrecognized == []


def test_variants_drop_nothing(variants):
    text = (FIXTURES / "variants.txt").read_text(encoding="utf-8")
    assert set(variants.coverage) == non_blank_lines(text)


# --- a district plan with other numbering ----------------------------------------------------

@pytest.fixture(scope="module")
def muong_cha():
    return parse_plan(FIXTURES / "muong_cha_district_plan.txt")


def test_district_plan_header_and_bases(muong_cha):
    assert muong_cha.issuer_lines == ["ỦY BAN MTTQ VIỆT NAM", "HUYỆN MƯỜNG CHÀ", "BAN THƯỜNG TRỰC"]
    assert (muong_cha.number, muong_cha.date, muong_cha.place) == ("12/KH-MTTQ-BTT", date(2023, 7, 20), "Mường Chà")
    assert muong_cha.title.startswith("Thực hiện Chỉ thị số 18-CT/TW ngày 26/10/2022 của Ban Bí thư về phát huy")
    assert [b.reference for b in muong_cha.legal_bases] == ["18-CT/TW", "16/KH-MTTQ-BTT", "45-KH/HU"]
    assert muong_cha.legal_bases[1].issuer == "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Điện Biên"
    assert muong_cha.enacting_clause.startswith("Ban Thường trực Ủy ban MTTQ Việt Nam huyện Mường Chà ban hành")
    assert muong_cha.directive_year == 2022


def test_district_plan_lettered_tasks(muong_cha):
    assert [(t.number, t.section) for t in muong_cha.tasks] == [
        ("1.a", "II.1"), ("1.b", "II.1"), ("2.a", "II.2"), ("2.b", "II.2"), ("3", "II.3"),
    ]
    first, second, consult, supervise, review = muong_cha.tasks
    assert first.timeframe.quarters == ((2023, 3),)
    assert first.coordinators == ["Các tổ chức chính trị - xã hội huyện"]
    assert second.steps == ["Biên soạn tài liệu song ngữ Kinh - Mông;", "Phát thanh định kỳ trên hệ thống loa truyền thanh cơ sở."]
    assert second.timeframe.kind == "quarterly"
    assert [p.scope for p in second.lead_parties] == ["commune"]
    assert consult.timeframe.yearly_quarters == (4,)
    assert supervise.leads == ["Ban Thường trực Ủy ban MTTQ Việt Nam huyện", "Phòng Dân tộc huyện"]
    assert [p.code for p in supervise.coordinator_parties] == ["people_inspection_boards", "community_investment_boards"]
    assert supervise.output.startswith("Báo cáo kết quả giám sát")
    assert review.timeframe.milestone_years() == [2027, 2032]
    assert muong_cha.sections[1].text == "Ban Thường trực Ủy ban MTTQ Việt Nam huyện tập trung thực hiện các nhiệm vụ sau:"


def test_district_plan_sections_responsibilities_and_signer(muong_cha):
    assert [(s.number, s.role) for s in muong_cha.sections] == [
        ("I", "purpose"), ("II", "content"), ("III", "implementation"), ("IV", "funding"),
    ]
    assert [(r.party, r.parties[0].scope) for r in muong_cha.responsibilities] == [
        ("Ban Thường trực Ủy ban MTTQ Việt Nam huyện", "district"),
        ("Các tổ chức chính trị - xã hội huyện", "district"),
        ("Ban Thường trực Ủy ban MTTQ Việt Nam các xã, thị trấn", "commune"),
    ]
    assert muong_cha.responsibilities[0].text.startswith("chủ trì, hướng dẫn, kiểm tra")
    assert muong_cha.sections[3].text.startswith("Kinh phí thực hiện từ nguồn")
    assert len(muong_cha.recipients) == 5
    assert (muong_cha.signer.title, muong_cha.signer.name) == ("PHÓ CHỦ TỊCH", "Lầu A Chinh")
    assert muong_cha.unrecognized == [] and muong_cha.warnings == []
    text = (FIXTURES / "muong_cha_district_plan.txt").read_text(encoding="utf-8")
    assert set(muong_cha.coverage) == non_blank_lines(text)


# --- small inline variants --------------------------------------------------------------------

def test_group_block_after_unattributed_tasks_and_trailing_free_text():
    plan = parse_plan_text(
        "KẾ HOẠCH\nThử nghiệm\nII. NỘI DUNG\n1. Nhóm\n1.1 Việc một\n1.2 Việc hai\n1.3 Việc ba\n"
        "- Thời gian thực hiện: Năm 2025\n- Cơ quan chủ trì: Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh\n"
        "Ghi chú: làm theo hướng dẫn riêng.\n"
    )
    assert [t.number for t in plan.tasks] == ["1.1", "1.2", "1.3"]
    assert all(t.timeframe.years == (2025,) for t in plan.tasks)
    assert plan.tasks[0].shares_attributes_with == ["1.2", "1.3"]
    assert plan.tasks[2].notes == ["Ghi chú: làm theo hướng dẫn riêng."]
    assert [u.text for u in plan.unrecognized] == ["Ghi chú: làm theo hướng dẫn riêng."]


def test_task_without_attributes_is_kept_and_warned():
    plan = parse_plan_text("KẾ HOẠCH\nThử\nII. NỘI DUNG\n1. Nhóm\n1.1. Việc có\nThời gian thực hiện: Hằng năm\n"
                           "2. Nhóm hai\n2.1. Việc không có thời gian\n")
    assert [(t.number, t.attributed) for t in plan.tasks] == [("1.1", True), ("2.1", False)]
    assert any("2.1" in w for w in plan.warnings)


def test_decomposed_unicode_and_stray_whitespace_are_normalized():
    text = unicodedata.normalize("NFD", "KẾ HOẠCH\nThử\nII.\tNỘI   DUNG\n1.\tNhóm\n1.1.\tViệc\n   Thời  gian  thực hiện :\tHàng năm \n")
    plan = parse_plan_text(text)
    assert plan.sections[0].title == "NỘI DUNG"
    assert plan.tasks[0].timeframe.kind == "yearly"


# --- encodings --------------------------------------------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Windows-1258 has Â, Ê, Ô, Ă, Ơ, Ư precomposed and writes the five tones as combining marks."""
    out = []
    for char in text:
        try:
            char.encode("cp1258")
            out.append(char)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out.append(base + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize("encoding, data_of", [
    ("utf-8", lambda text: text.encode("utf-8")),
    ("utf-8-sig", lambda text: codecs.BOM_UTF8 + text.encode("utf-8")),
    ("utf-16", lambda text: text.encode("utf-16")),
    ("utf-16-le", lambda text: text.encode("utf-16-le")),
    ("cp1258", to_cp1258),
])
def test_seed_in_other_encodings_parses_the_same(encoding, data_of):
    data = data_of(SEED.read_text(encoding="utf-8"))
    assert read_document(data, filename="seed.txt").encoding == encoding
    plan = parse_plan(data, filename="seed.txt")
    assert [t.number for t in plan.tasks] == [t.number for t in parse_plan(SEED).tasks]
    assert len(plan.recipients) == 13 and plan.signer.name == "Lò Văn Mừng"
    assert plan.tasks[0].timeframe.text == "Thường xuyên."


def test_unreadable_files_say_why():
    with pytest.raises(PlanReadError, match="UTF-8"):
        read_document(b"\x81\x8d\x8f\x90\x9d" * 20, filename="x.txt")
    with pytest.raises(PlanReadError, match=r"\.doc"):
        read_document(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, filename="old.doc")
    with pytest.raises(PlanReadError, match="rỗng"):
        read_document(b"  \n", filename="empty.txt")


# --- .docx with layout tables -----------------------------------------------------------------

def _two_column_table(document, left: list[str], right: list[str]):
    table = document.add_table(rows=1, cols=2)
    for cell, lines in zip(table.rows[0].cells, (left, right)):
        cell.paragraphs[0].text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)
    return table


def _seed_as_docx() -> bytes:
    """The seed as a real .docx is laid out: header and signature block in two-column tables."""
    docx = pytest.importorskip("docx")
    lines = SEED.read_text(encoding="utf-8").split("\n")
    recipients_at = next(i for i, line in enumerate(lines) if line.strip().startswith("Nơi nhận"))
    signer_at = next(i for i, line in enumerate(lines) if line.strip().startswith("TM."))
    document = docx.Document()
    header = document.add_table(rows=2, cols=2)
    header.rows[0].cells[0].paragraphs[0].text = "ỦY BAN MTTQ VIỆT NAM TỈNH ĐIỆN BIÊN"
    header.rows[0].cells[0].add_paragraph("BAN THƯỜNG TRỰC")
    header.rows[0].cells[1].paragraphs[0].text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    header.rows[0].cells[1].add_paragraph("Độc lập - Tự do - Hạnh phúc")
    header.rows[1].cells[0].paragraphs[0].text = "Số: 16/KH-MTTQ-BTT"
    header.rows[1].cells[1].paragraphs[0].text = "Điện Biên, ngày 05 tháng 6 năm 2023"
    for line in lines[:recipients_at]:
        if line.strip():
            document.add_paragraph(line.strip())
    recipients = [line.strip() for line in lines[recipients_at:signer_at] if line.strip()]
    signer = [line.strip() for line in lines[signer_at:] if line.strip()]
    _two_column_table(document, recipients, signer)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_with_two_column_tables_parses_like_the_seed():
    data = _seed_as_docx()
    plan = parse_plan(io.BytesIO(data), filename="ke-hoach.docx")
    seed = parse_plan(SEED).to_json()
    parsed = plan.to_json()
    assert plan.source["format"] == "docx"
    assert parsed["issuer"] == "ỦY BAN MTTQ VIỆT NAM TỈNH ĐIỆN BIÊN\nBAN THƯỜNG TRỰC"
    assert (parsed["number"], parsed["date"]) == ("16/KH-MTTQ-BTT", "2023-06-05")
    for key in ("title", "legal_bases", "recipients", "signer", "unrecognized"):
        assert parsed[key] == seed[key], key
    strip = lambda tasks: [{k: t[k] for k in ("number", "section", "text", "timeframe", "leads", "coordinators", "steps")} for t in tasks]  # noqa: E731
    assert strip(parsed["tasks"]) == strip(seed["tasks"])
    assert [(r["party"], r["text"]) for r in parsed["responsibilities"]] == [(r["party"], r["text"]) for r in seed["responsibilities"]]


def test_docx_task_table_is_read_as_labelled_lines():
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Giám sát năm 2025")
    document.add_paragraph("II. NỘI DUNG")
    table = document.add_table(rows=3, cols=5)
    rows = [
        ["TT", "Nội dung", "Thời gian thực hiện", "Cơ quan chủ trì", "Cơ quan phối hợp"],
        ["1", "Giám sát chuyên đề", "", "", ""],
        ["1.1", "Giám sát bảo hiểm y tế", "Quý III/2025", "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "Sở Y tế"],
    ]
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    out = io.BytesIO()
    document.save(out)
    plan = parse_plan(out.getvalue(), filename="bang.docx")
    (task,) = plan.tasks
    assert (task.number, task.section, task.text) == ("1.1", "II.1", "Giám sát bảo hiểm y tế")
    assert task.timeframe.quarters == ((2025, 3),)
    assert (task.leads, task.coordinators) == (["Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh"], ["Sở Y tế"])
