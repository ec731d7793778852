"""Seed golden test: importing the seed plan reproduces it exactly (issue 3, "How it is checked")."""
from pathlib import Path

import pytest

from plans.parsing import parse_plan

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"

ATTRIBUTED_TASKS = [
    "1.1", "1.2", "2.1", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "5",
]
STANDING_BOARD_EVERY_LEVEL = "Ban Thường trực Ủy ban MTTQ Việt Nam các cấp"


@pytest.fixture(scope="module")
def plan():
    return parse_plan(SEED)


@pytest.fixture(scope="module")
def data(plan):
    return plan.to_json()


def tasks_numbered(data, number):
    return [t for t in data["tasks"] if t["number"] == number]


def test_sections_i_ii_iii(data):
    assert [(s["number"], s["title"]) for s in data["sections"]] == [
        ("I", "MỤC ĐÍCH, YÊU CẦU"), ("II", "NỘI DUNG TRIỂN KHAI"), ("III", "TỔ CHỨC THỰC HIỆN"),
    ]
    assert [s["role"] for s in data["sections"]] == ["purpose", "content", "implementation"]
    # Section I's paragraphs are section text (groups "1. Mục đích", "2. Yêu cầu"), never unrecognized.
    purpose = data["sections"][0]
    assert [(g["number"], g["title"]) for g in purpose["groups"]] == [("I.1", "Mục đích"), ("I.2", "Yêu cầu")]
    assert "Định kỳ hằng năm kiểm tra, đánh giá" in purpose["groups"][1]["text"]
    assert [g["number"] for g in data["sections"][1]["groups"]] == ["II.1", "II.2", "II.3", "II.4", "II.5"]


def test_title_and_header(data):
    assert data["title"] == (
        "Triển khai thực hiện Chỉ thị số 18 -CT/TW ngày 26/10/2022 của Ban Bí thư Trung ương Đảng về phát huy vai "
        "trò, nâng cao chất lượng, hiệu quả công tác giám sát, phản biện xã hội của Mặt trận Tổ quốc Việt Nam và các "
        "tổ chức chính trị - xã hội"
    )
    assert data["kind"] == "KH"
    # The seed text starts at "KẾ HOẠCH": it has no issuer, number or date lines.
    assert (data["issuer"], data["number"], data["date"]) == (None, None, None)


def test_sixteen_attributed_tasks(data):
    assert [t["number"] for t in data["tasks"]] == ATTRIBUTED_TASKS
    assert all(t["attributed"] and t["timeframe"] and t["leads"] and t["coordinators"] for t in data["tasks"])
    assert [t["section"] for t in data["tasks"]] == [f"II.{n.split('.')[0]}" for n in ATTRIBUTED_TASKS]
    assert len({t["key"] for t in data["tasks"]}) == 16


def test_1_1_and_1_2_share_one_block(data):
    first, second = tasks_numbered(data, "1.1")[0], tasks_numbered(data, "1.2")[0]
    for task in (first, second):
        assert task["timeframe"]["text"] == "Thường xuyên."
        assert task["timeframe"]["kind"] == "ongoing"
        assert task["leads"] == [STANDING_BOARD_EVERY_LEVEL]
        assert task["coordinators"] == ["Các tổ chức chính trị - xã hội các cấp"]
    assert first["text"].startswith("Phối hợp với cơ quan truyền thông cùng cấp")
    assert second["text"].startswith("Tiếp tục đa dạng hóa")
    assert first["shares_attributes_with"] == ["1.2"] and second["shares_attributes_with"] == ["1.1"]


def test_2_1_is_two_tasks_with_their_own_timeframes(data):
    first, second = tasks_numbered(data, "2.1")
    assert (first["bullet"], second["bullet"]) == (1, 2)
    assert first["heading"] == second["heading"] == (
        "Tăng cường công tác hiệp thương thống nhất giữa MTTQ Việt Nam và các tổ với các tổ chức chính trị - xã hội"
    )
    assert first["text"].startswith("Ban Thường trực Ủy ban MTTQ Việt Nam các cấp chủ trì phối hợp")
    assert second["text"].startswith("Sau khi hiệp thương thống nhất với các tổ chức chính trị - xã hội")
    assert first["timeframe"]["text"] == "Quý IV hàng năm hoặc khi có hướng dẫn khác."
    assert first["timeframe"]["kind"] == "quarter_yearly" and first["timeframe"]["yearly_quarters"] == [4]
    assert first["timeframe"]["when_needed"] is True
    assert second["timeframe"]["text"].startswith("Ngay sau khi hiệp thương thống nhất")
    assert second["timeframe"]["kind"] == "event"
    assert second["coordinators"] == ["Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh)", "HĐND, UBND cùng cấp"]
    assert (first["key"], second["key"]) == ("2.1/1", "2.1/2")


def test_timeframes_leads_and_coordinators_as_written(data):
    expected = {
        "2.2": ("Theo kế hoạch.", "per_plan", ["Các tổ chức chính trị-xã hội cùng cấp", "các cơ quan, tổ chức liên quan"]),
        "2.3": ("Thường xuyên và theo kế hoạch.", "combined", ["Các cơ quan, tổ chức liên quan"]),
        "2.4": ("Hằng năm", "yearly", ["Các tổ chức thành viên cùng cấp", "các cơ quan, tổ chức liên quan"]),
        "2.5": ("Hằng năm hoặc khi có nhu cầu.", "yearly", ["Đề nghị Ban Tổ chức cấp ủy cùng cấp phối hợp"]),
        "2.6": ("Dịp sơ, tổng kết định kỳ hằng năm, giai đoạn.", "review_time",
                ["Các tổ chức thành viên", "các cơ quan, tổ chức liên quan"]),
        "3.1": ("Năm 2023.", "years", ["Các tổ chức chính trị - xã hội tỉnh", "Ủy ban MTTQ Việt Nam các cấp"]),
        "3.2": ("Theo kế hoạch.", "per_plan", ["Các tổ chức chính trị - xã hội cùng cấp"]),
        "3.3": ("Các năm 2023- 2024.", "years", ["Các tổ chức chính trị - xã hội", "các cơ quan liên quan"]),
        "3.4": ("Năm 2023", "years", ["Các tổ chức chính trị - xã hội tỉnh", "các cơ quan, tổ chức liên quan"]),
        "4.1": ("Định kỳ hằng năm.", "yearly", ["HĐND, các tổ chức chính trị - xã hội cùng cấp"]),
        "4.2": ("Định kỳ hằng năm", "yearly", ["Các tổ chức chính trị - xã hội cùng cấp"]),
        "5": ("Định kỳ hằng năm, sơ kết 3 năm, 5 năm; tổng kết 10 năm.", "milestones",
              ["Các tổ chức chính trị-xã hội tỉnh, các cơ quan, tổ chức liên quan"]),
    }
    for number, (timeframe, kind, coordinators) in expected.items():
        (task,) = tasks_numbered(data, number)
        assert (task["timeframe"]["text"], task["timeframe"]["kind"], task["coordinators"]) == (timeframe, kind, coordinators), number
    province_led = {"3.1", "3.4", "5"}
    for task in data["tasks"]:
        if task["number"] not in province_led:
            assert task["leads"] == [STANDING_BOARD_EVERY_LEVEL], task["number"]


def test_3_1_has_two_leads(data):
    (task,) = tasks_numbered(data, "3.1")
    assert task["leads"] == ["Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "Sở Tài Chính"]
    board, finance = task["lead_parties"]
    assert (board["kind"], board["code"], board["scope"]) == ("relative", "front_standing_board", "province")
    assert (finance["kind"], finance["code"], finance["name"]) == ("body", "department", "Sở Tài chính")


def test_steps_of_4_1_4_2_and_group_5(data):
    for number in ("4.1", "4.2"):
        (task,) = tasks_numbered(data, number)
        assert task["steps"][0] == "Xây dựng báo cáo;"
        assert task["steps"][1].startswith("Tổ chức góp ý kiến vào báo cáo")
        assert len(task["steps"]) == 2
    (five,) = tasks_numbered(data, "5")
    assert five["text"].startswith("Kiểm tra, đôn đốc việc thực hiện Chỉ thị số 18-CT/TW")
    assert five["steps"][0].startswith("Thành lập các đoàn kiểm tra") and len(five["steps"]) == 2
    assert five["timeframe"]["yearly"] is True
    assert [m["year"] for m in five["timeframe"]["milestones"]] == [2025, 2027, 2032]


def test_2_5_keeps_both_paragraphs(data):
    (task,) = tasks_numbered(data, "2.5")
    first, second = task["text"].split("\n")
    assert first.startswith("Kiện toàn tổ chức bộ máy") and second.startswith("Rà soát, sửa đổi các quy định")


def test_three_responsibility_groups(data):
    responsibilities = data["responsibilities"]
    assert [(r["number"], r["party"]) for r in responsibilities] == [
        ("III.1", "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh"),
        ("III.2", "Các tổ chức chính trị-xã hội, các tổ chức thành viên khác của Ủy ban MTTQ Việt Nam tỉnh"),
        ("III.3", "Ban Thường trực Ủy ban MTTQ Việt Nam các huyện, thị xã, thành phố"),
    ]
    assert responsibilities[0]["text"].startswith("Ban hành Kế hoạch triển khai thực hiện Chỉ thị số 18-CT/TW")
    assert responsibilities[2]["text"].endswith("tại địa phương.")
    assert [p["code"] for p in responsibilities[1]["parties"]] == ["socio_political_orgs", "member_orgs"]
    assert (responsibilities[2]["parties"][0]["code"], responsibilities[2]["parties"][0]["scope"]) == (
        "front_standing_board", "district",
    )


def test_recipients_and_signer(data):
    assert len(data["recipients"]) == 13
    assert data["recipients"][0] == "BTT UBTWMTTQVN (b/c)"
    assert data["recipients"][-1] == "Lưu: VT, Ban DC-PL"
    assert data["recipient_details"][0]["for_report"] and data["recipient_details"][-1]["archive"]
    assert data["signer"] == {"on_behalf": "TM. BAN THƯỜNG TRỰC", "title": "CHỦ TỊCH", "name": "Lò Văn Mừng"}
    assert data["signature_mark"] == "(Đã ký)"


def test_three_legal_bases(data):
    assert len(data["legal_bases"]) == 3
    assert data["legal_bases"][0].startswith("Chỉ thị số 18-CT/TW ngày 26/10/2022 của Ban Bí thư Trung ương Đảng")
    assert data["legal_bases"][1].startswith("Kế hoạch số 672/KH-MTTW-BTT ngày 05/01/2023")
    assert data["legal_bases"][2].startswith("Kế hoạch số 95-KH/TU ngày 24/5/2023 của Ban Thường vụ Tỉnh ủy Điện Biên")
    assert [(b["doc_kind"], b["reference"], b["date"]) for b in data["legal_basis_refs"]] == [
        ("Chỉ thị", "18-CT/TW", "2022-10-26"),
        ("Kế hoạch", "672/KH-MTTW-BTT", "2023-01-05"),
        ("Kế hoạch", "95-KH/TU", "2023-05-24"),
    ]
    # The enacting clause is not part of the third basis.
    assert "ban hành" not in data["legal_bases"][2]
    assert data["enacting_clause"].startswith("Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh ban hành Kế hoạch")
    assert data["directive_year"] == 2022


def test_only_true_free_text_is_unrecognized(data):
    # The closing "Trên đây là Kế hoạch ..." is recognized as the plan's closing; the sentence after
    # group 5's attributes is free text kept on task 5.
    assert data["unrecognized"] == [
        "Các cấp Mặt trận trên cơ sở kế hoạch của Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh để triển khai việc kiểm tra; "
        "sơ, tổng kết."
    ]
    assert data["unrecognized_details"][0]["attached_to"] == "task 5"
    assert tasks_numbered(data, "5")[0]["notes"] == data["unrecognized"]
    assert data["closing"].startswith("Trên đây là Kế hoạch triển khai Chỉ thị số 18-CT/TW")
    assert data["warnings"] == []


def test_nothing_is_dropped(plan):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    non_blank = {number for number, line in enumerate(lines, 1) if line.strip()}
    assert set(plan.coverage) == non_blank


def test_json_has_the_issue_shape(data):
    required = {"title", "issuer", "number", "date", "legal_bases", "sections", "tasks", "responsibilities",
                "recipients", "signer", "unrecognized"}
    assert required <= data.keys()
    assert {"number", "section", "text", "timeframe", "leads", "coordinators", "steps"} <= data["tasks"][0].keys()
    assert {"text", "kind"} <= data["tasks"][0]["timeframe"].keys()
    import json

    json.dumps(data, ensure_ascii=False)  # serializable as is
