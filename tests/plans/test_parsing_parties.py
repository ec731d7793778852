"""Lead and coordinating parties: split as written, classified relative / unit / body."""
import pytest

from plans.parsing import classify_party, parse_parties, split_parties


def test_split_on_semicolon_and_on_va_between_parties():
    assert split_parties("Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh và Sở Tài Chính. ") == [
        "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "Sở Tài Chính",
    ]
    assert split_parties("Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh); HĐND, UBND cùng cấp.") == [
        "Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh)", "HĐND, UBND cùng cấp",
    ]
    # " và " inside one party's name is not a split.
    assert split_parties("Hội đồng tư vấn DCPL và KTXH") == ["Hội đồng tư vấn DCPL và KTXH"]
    assert split_parties("Sở Kế hoạch và Đầu tư") == ["Sở Kế hoạch và Đầu tư"]


def test_comma_lists_share_the_level_written_once():
    hdnd, ubnd = parse_parties("HĐND, UBND cùng cấp")
    assert (hdnd.code, hdnd.scope, hdnd.scope_shared) == ("people_council", "same_level", True)
    assert (ubnd.code, ubnd.scope, ubnd.scope_shared) == ("people_committee", "same_level", False)
    orgs, related = parse_parties("Các tổ chức chính trị-xã hội tỉnh, các cơ quan, tổ chức liên quan.")
    assert (orgs.code, orgs.scope) == ("socio_political_orgs", "province")
    assert (related.code, related.text) == ("related_agencies", "các cơ quan, tổ chức liên quan")
    # A level list is not a party list.
    (board,) = parse_parties("Ban Thường trực Ủy ban MTTQ Việt Nam các huyện, thị xã, thành phố")
    assert (board.code, board.scope) == ("front_standing_board", "district")


@pytest.mark.parametrize("text, kind, code, scope", [
    ("Ban Thường trực Ủy ban MTTQ Việt Nam các cấp", "relative", "front_standing_board", "every_level"),
    ("Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "relative", "front_standing_board", "province"),
    ("Các tổ chức chính trị - xã hội cùng cấp", "relative", "socio_political_orgs", "same_level"),
    ("Các tổ chức chính trị - xã hội các cấp", "relative", "socio_political_orgs", "every_level"),
    ("Các tổ chức thành viên cùng cấp", "relative", "member_orgs", "same_level"),
    ("Ủy ban MTTQ Việt Nam các cấp", "relative", "front_committee", "every_level"),
    ("Ủy ban MTTQ Việt Nam huyện Mường Chà", "unit", "front_committee", "district"),
    ("Hội Nông dân tỉnh", "relative", "member_org:farmers_association", "province"),
    ("Sở Tài Chính", "body", "department", None),
    ("HĐND tỉnh", "body", "people_council", "province"),
    ("UBND cùng cấp", "body", "people_committee", "same_level"),
    ("Ban Thường vụ Tỉnh ủy", "body", "party_standing_committee", None),
    ("Các cơ quan, tổ chức liên quan", "body", "related_agencies", None),
])
def test_classification(text, kind, code, scope):
    party = classify_party(text)
    assert (party.kind, party.code, party.scope) == (kind, code, scope)
    assert party.text == text


def test_level_limit_request_and_names():
    delegation = classify_party("Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh)")
    assert (delegation.kind, delegation.code, delegation.level_limit, delegation.name) == (
        "body", "na_delegation", "province", "Đoàn đại biểu Quốc hội",
    )
    board = classify_party("Đề nghị Ban Tổ chức cấp ủy cùng cấp phối hợp.")
    assert (board.code, board.scope, board.requested, board.text) == (
        "party_organization_board", "same_level", True, "Đề nghị Ban Tổ chức cấp ủy cùng cấp phối hợp",
    )
    assert classify_party("Sở Tài Chính").name == "Sở Tài chính"
    assert classify_party("Ủy ban MTTQ Việt Nam tỉnh Điện Biên").place == "Điện Biên"
    assert classify_party("Ủy ban Trung ương MTTQ Việt Nam").scope == "central"
    unknown = classify_party("Nhà văn hóa bản")
    assert (unknown.kind, unknown.recognized) == ("body", False)
