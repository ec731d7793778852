"""Import of real plan files: the seed saved whole into the province, the command's --json and
--dry-run, and files that are not plans refused with a clear message and nothing saved."""
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from mttq_platform.models import AuditLog
from plans.models import (
    DocumentStatus, LegalBasis, OutsideBody, PartyKind, PlanDocument, Responsibility, Section, Task, TaskParty,
)
from plans.parsing.structure import parse_plan
from plans.services.importing import PlanImportError, import_plan_file, save_parsed_plan

pytestmark = pytest.mark.django_db

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
COUNTED = (PlanDocument, LegalBasis, Section, Task, TaskParty, Responsibility, OutsideBody, AuditLog)


def row_counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def leads_and_coordinators(task):
    parties = list(task.parties.order_by("role", "order"))
    return [p.text for p in parties if p.role == "lead"], [p.text for p in parties if p.role == "coordinator"]


def test_seed_is_saved_whole_into_the_province(tree):
    document = import_plan_file(SEED, tree["11"], actor=tree.user("db.cadre"))

    assert document.status == DocumentStatus.DRAFT and document.unit == tree["11"]
    assert document.kind == "KH" and document.title.startswith("Triển khai thực hiện Chỉ thị số 18")
    assert document.created_by == tree.user("db.cadre") and document.source_name == SEED.name
    assert (document.signer_on_behalf, document.signer_title, document.signer_name) == ("TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH", "Lò Văn Mừng")
    assert len(document.recipients) == 13 and document.recipients[-1] == "Lưu: VT, Ban DC-PL"
    assert document.preamble.startswith("Thực hiện Chỉ thị số 18-CT/TW") and document.preamble.endswith("như sau:")
    assert document.closing.startswith("Trên đây là Kế hoạch")
    assert [u["text"] for u in document.unrecognized] == [
        "Các cấp Mặt trận trên cơ sở kế hoạch của Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh để triển khai việc kiểm tra; sơ, tổng kết."
    ]

    assert [b.reference for b in document.legal_bases.all()] == ["18-CT/TW", "672/KH-MTTW-BTT", "95-KH/TU"]
    assert [(r.number, r.party) for r in document.responsibilities.all()][0] == ("III.1", "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh")
    assert document.responsibilities.count() == 3

    tops = list(document.sections.filter(parent=None).values_list("number", flat=True))
    assert tops == ["I", "II", "III"]
    content = document.sections.get(number="II")
    assert list(content.subsections.values_list("number", flat=True)) == ["II.1", "II.2", "II.3", "II.4", "II.5"]

    tasks = list(document.tasks.select_related("section").order_by("order"))
    assert [t.number for t in tasks] == [
        "1.1", "1.2", "2.1", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "5",
    ]
    assert all(t.section.number == f"II.{t.number.split('.')[0]}" for t in tasks)
    t11, t12, t21a, t21b = tasks[:4]
    assert t11.timeframe_text == t12.timeframe_text == "Thường xuyên."
    assert t11.timeframe["kind"] == "ongoing" and t11.timeframe["text"] == "Thường xuyên."
    assert (t21a.bullet, t21b.bullet) == (1, 2) and t21a.heading.startswith("Tăng cường công tác hiệp thương")
    assert t21a.timeframe_text == "Quý IV hàng năm hoặc khi có hướng dẫn khác."
    assert t21b.timeframe_text.startswith("Ngay sau khi hiệp thương thống nhất")
    assert tasks[13].steps[0] == "Xây dựng báo cáo;"  # 4.1: bullets are its steps
    assert tasks[15].notes.startswith("Các cấp Mặt trận")  # the free line after 5's block

    t31 = tasks[9]
    assert leads_and_coordinators(t31) == (
        ["Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "Sở Tài Chính"],
        ["Các tổ chức chính trị - xã hội tỉnh", "Ủy ban MTTQ Việt Nam các cấp"],
    )
    board, finance = t31.parties.filter(role="lead").order_by("order")
    assert (board.kind, board.relative_code, board.scope) == (PartyKind.RELATIVE, "front_standing_board", "province")
    assert finance.kind == PartyKind.BODY and finance.body.name == "Sở Tài chính"

    # "Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh); HĐND, UBND cùng cấp": three bodies, two groups.
    delegation, council, committee = t21b.parties.filter(role="coordinator").order_by("order")
    assert delegation.level_limit.code == "province" and delegation.body.name == "Đoàn đại biểu Quốc hội"
    assert [(p.text, p.group, p.scope) for p in (council, committee)] == [("HĐND", 1, "same_level"), ("UBND cùng cấp", 1, "same_level")]
    assert council.body.name == "Hội đồng nhân dân"

    # Every row is in the audit, filed under the province.
    assert AuditLog.objects.filter(unit=tree["11"], object_id=str(t31.pk), content_type__model="task").exists()


def test_outside_bodies_are_shared_between_plans(tree):
    import_plan_file(SEED, tree["11"])
    bodies = OutsideBody.objects.count()
    import_plan_file(SEED, tree["094"])
    assert OutsideBody.objects.count() == bodies


def test_a_cited_plan_published_above_is_linked(tree):
    central = PlanDocument.objects.create(unit=tree["TW"], number="672", symbol="KH-MTTW-BTT", title="Kế hoạch 672",
                                          status=DocumentStatus.ISSUED)
    # A draft of the same number elsewhere is not citable.
    PlanDocument.objects.create(unit=tree["01"], number="95", symbol="KH/TU", title="Nháp")

    document = import_plan_file(SEED, tree["11"])

    bases = {b.reference: b.referenced_document_id for b in document.legal_bases.all()}
    assert bases == {"18-CT/TW": None, "672/KH-MTTW-BTT": central.pk, "95-KH/TU": None}
    assert document.parent_plan == central


def test_a_failure_half_way_leaves_nothing_behind(tree):
    parsed = parse_plan(SEED)
    parsed.tasks[5].text = None  # the database refuses it after the document and sections are written
    before = row_counts()
    with pytest.raises(IntegrityError):
        save_parsed_plan(parsed, tree["11"])
    assert row_counts() == before


# -- the command ----------------------------------------------------------------------------------
def run(*args):
    out = io.StringIO()
    call_command("import_plan", *map(str, args), stdout=out)
    return out.getvalue()


def test_command_saves_and_reports(tree):
    output = run(SEED, "--unit", "11")
    document = PlanDocument.objects.get()
    assert document.unit.code == "11" and document.tasks.count() == 16
    assert "Nhiệm vụ: 16" in output and str(document.uuid) in output
    assert "143: Các cấp Mặt trận" in output  # the unrecognized line, with its line number


def test_dry_run_saves_nothing(tree):
    before = row_counts()
    output = run(SEED, "--unit", "11", "--dry-run")
    assert row_counts() == before
    assert "Nhiệm vụ: 16" in output and "Nơi nhận: 13" in output
    assert "Các cấp Mặt trận trên cơ sở kế hoạch" in output
    assert "dry run" in output


def test_json_prints_the_parsed_plan_and_saves_nothing(tree):
    before = row_counts()
    data = json.loads(run(SEED, "--unit", "11", "--json"))
    assert row_counts() == before
    assert {"title", "issuer", "number", "date", "legal_bases", "sections", "tasks", "responsibilities",
            "recipients", "signer", "unrecognized"} <= data.keys()
    assert {"number", "section", "text", "timeframe", "leads", "coordinators", "steps"} <= data["tasks"][0].keys()
    assert len(data["tasks"]) == 16 and data["signer"]["name"] == "Lò Văn Mừng"


def test_unknown_unit_is_refused(tree):
    with pytest.raises(CommandError, match="99999"):
        run(SEED, "--unit", "99999")


def not_a_zip(path):
    path.write_bytes(b"This is not a Word file at all.\n")


def garbage(path):
    path.write_bytes(bytes(range(256)) * 8 + os.urandom(2048))


def empty(path):
    path.write_bytes(b"")


def zip_without_document(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")


def prose(path):
    path.write_text("Hôm nay trời đẹp. Chúng tôi đi chơi công viên.\n", encoding="utf-8")


@pytest.mark.parametrize("name, make, message", [
    ("rac.txt", garbage, "Tệp .txt không phải văn bản đọc được"),
    ("rong.txt", empty, "Tệp rỗng"),
    ("gia.docx", not_a_zip, "Tệp .docx không hợp lệ"),
    ("zip.docx", zip_without_document, "Tệp .docx không hợp lệ"),
    ("van-xuoi.txt", prose, "không phải một kế hoạch"),
    ("anh.png", prose, "Chỉ nhận tệp .txt hoặc .docx"),
])
def test_malformed_files_are_refused_clearly_and_save_nothing(tree, tmp_path, name, make, message):
    path = tmp_path / name
    make(path)
    before = row_counts()

    with pytest.raises(PlanImportError, match=message) as error:
        import_plan_file(path, tree["11"])
    assert error.value.english and error.value.english != error.value.vietnamese
    with pytest.raises(CommandError, match=message) as command_error:
        run(path, "--unit", "11")
    assert error.value.english in str(command_error.value)  # both languages on the command line

    assert row_counts() == before


def test_missing_file_is_a_clear_error(tree, tmp_path):
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        run(tmp_path / "khong-co.txt", "--unit", "11")
