"""Export to .docx in the Decree 30/2020 layout, and the round trip: the seed imported, exported
and read back through the parser's .docx reader gives the same structure."""
import io
import re
from datetime import date
from pathlib import Path

import docx
import pytest

from plans.exporting import NATIONAL_NAME, MOTTO, export_docx, export_filename
from plans.parsing.structure import parse_plan
from plans.services.importing import import_plan_file

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"


@pytest.fixture
def seed_plan(tree):
    """The seed imported into the province, then numbered and dated as on issue."""
    document = import_plan_file(SEED, tree["11"])
    document.number, document.symbol = "15", "KH-MTTQ-BTT"
    document.place, document.date = "Điện Biên", date(2023, 6, 5)
    document.save()
    return document


def structure(parsed: dict) -> dict:
    """The parts of a parsed plan that must survive a round trip."""
    return {
        "title": parsed["title"],
        "sections": [
            (s["number"], s["title"], [(g["number"], g["title"], g["text"]) for g in s["groups"]]) for s in parsed["sections"]
        ],
        "tasks": [
            (t["number"], t["section"], t["bullet"], t["heading"], t["text"], (t["timeframe"] or {}).get("text"),
             (t["timeframe"] or {}).get("kind"), t["leads"], t["coordinators"], t["steps"], t["notes"])
            for t in parsed["tasks"]
        ],
        "responsibilities": [(r["number"], r["party"], r["text"]) for r in parsed["responsibilities"]],
        "recipients": parsed["recipients"],
        "signer": parsed["signer"],
        "legal_bases": parsed["legal_bases"],
        "closing": parsed["closing"],
    }


def all_text(document: docx.Document) -> str:
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_round_trip_through_the_docx_reader_gives_the_same_structure(seed_plan):
    original = parse_plan(SEED).to_json()
    exported = parse_plan(export_docx(seed_plan), filename="15-KH-MTTQ-BTT.docx").to_json()

    assert exported["source"]["format"] == "docx"
    assert structure(exported) == structure(original)
    assert len(exported["tasks"]) == 16
    # The header the seed lacked is now there, and reads back.
    assert exported["number"] == "15/KH-MTTQ-BTT"
    assert exported["date"] == "2023-06-05"
    assert exported["issuer"] == "ỦY BAN MTTQ VIỆT NAM TỈNH ĐIỆN BIÊN\nBAN THƯỜNG TRỰC"
    assert exported["unrecognized"] == original["unrecognized"]


def test_the_shared_block_of_1_1_and_1_2_is_written_once(seed_plan):
    text = [p.text for p in docx.Document(io.BytesIO(export_docx(seed_plan))).paragraphs]
    start = next(i for i, t in enumerate(text) if t.startswith("1.1. "))
    end = next(i for i, t in enumerate(text) if t.startswith("2. Tiếp tục đổi mới"))
    assert [t for t in text[start:end] if t.startswith("Thời gian thực hiện:")] == ["Thời gian thực hiện: Thường xuyên."]


def test_docx_has_the_decree_30_layout(seed_plan):
    document = docx.Document(io.BytesIO(export_docx(seed_plan)))
    text = all_text(document)
    for expected in (NATIONAL_NAME, MOTTO, "Số: 15/KH-MTTQ-BTT", "Điện Biên, ngày 05 tháng 6 năm 2023",
                     "KẾ HOẠCH", "Nơi nhận:", "TM. BAN THƯỜNG TRỰC", "Lò Văn Mừng"):
        assert expected in text

    header, signature = document.tables
    issuer_cell, motto_cell = header.rows[0].cells
    assert [p.text for p in issuer_cell.paragraphs] == ["ỦY BAN MTTQ VIỆT NAM TỈNH ĐIỆN BIÊN", "BAN THƯỜNG TRỰC", "Số: 15/KH-MTTQ-BTT"]
    assert issuer_cell.paragraphs[1].runs[0].bold and not issuer_cell.paragraphs[0].runs[0].bold
    assert all(p.runs[0].bold for p in motto_cell.paragraphs[:2])
    assert motto_cell.paragraphs[2].runs[0].italic
    recipients_cell, signer_cell = signature.rows[0].cells
    assert recipients_cell.paragraphs[0].text == "Nơi nhận:"
    assert len(recipients_cell.paragraphs) == 1 + 13
    assert recipients_cell.paragraphs[-1].text == "- Lưu: VT, Ban DC-PL."
    assert [p.text for p in signer_cell.paragraphs if p.text] == ["TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH", "Lò Văn Mừng"]
    # Borderless layout tables.
    for table in document.tables:
        borders = table._tbl.tblPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblBorders")
        assert borders is not None and all(edge.get(docx.oxml.ns.qn("w:val")) == "nil" for edge in borders)

    kind = next(p for p in document.paragraphs if p.text == "KẾ HOẠCH")
    assert kind.runs[0].bold and kind.alignment == 1  # centred

    page = document.sections[0]
    mm = lambda length: round(length.mm)  # noqa: E731 - Word stores twentieths of a point
    assert (mm(page.page_width), mm(page.page_height)) == (210, 297)  # A4
    assert 20 <= mm(page.top_margin) <= 25 and 20 <= mm(page.bottom_margin) <= 25
    assert 30 <= mm(page.left_margin) <= 35 and 15 <= mm(page.right_margin) <= 20
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14


def test_a_draft_without_number_or_date_leaves_their_places_blank(tree):
    document = import_plan_file(SEED, tree["11"])
    text = all_text(docx.Document(io.BytesIO(export_docx(document))))
    assert re.search(r"Số:\s+/KH\n", text)
    assert "ngày …… tháng …… năm ……" in text
    assert export_filename(document) == f"ke-hoach-{document.uuid}.docx"


def test_filename_comes_from_the_number_and_symbol(seed_plan):
    assert export_filename(seed_plan) == "15-KH-MTTQ-BTT.docx"
