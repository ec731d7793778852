"""A plan shaped like the seed (fixtures/seeds/000_bc0227de9fac2d55.txt), built with the models
directly so that derivation tests do not depend on the text parser.

Its parties are written as the parser classifies them (relative code, scope, level limit):

    1.1    lead  BTT các cấp                     coord  CT-XH các cấp
    2.1 a  lead  BTT các cấp                     coord  CT-XH các cấp
    2.1 b  lead  BTT các cấp                     coord  Đoàn ĐBQH tỉnh (đối với cấp tỉnh); HĐND, UBND cùng cấp
    2.2    lead  BTT các cấp                     coord  CT-XH cùng cấp
    3.1    lead  BTT tỉnh; Sở Tài chính          coord  CT-XH tỉnh; Ủy ban MTTQ các cấp
    3.4    lead  BTT tỉnh                        coord  CT-XH tỉnh; các cơ quan, tổ chức liên quan
    4.1    lead  BTT các cấp                     coord  HĐND; CT-XH cùng cấp
"""
from __future__ import annotations

from datetime import date

from orgtree.models import Level, OrgUnit
from plans.models import (
    DocumentStatus, LegalBasis, OutsideBody, PartyKind, PartyRole, PlanDocument, Responsibility, Section, Task, TaskParty,
)

BOARD_EVERY = ("Ban Thường trực Ủy ban MTTQ Việt Nam các cấp", "relative", "front_standing_board", "every_level", None)
BOARD_PROVINCE = ("Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "relative", "front_standing_board", "province", None)
COMMITTEE_EVERY = ("Ủy ban MTTQ Việt Nam các cấp", "relative", "front_committee", "every_level", None)
ORGS_EVERY = ("Các tổ chức chính trị - xã hội các cấp", "relative", "socio_political_orgs", "every_level", None)
ORGS_SAME = ("Các tổ chức chính trị - xã hội cùng cấp", "relative", "socio_political_orgs", "same_level", None)
ORGS_PROVINCE = ("Các tổ chức chính trị - xã hội tỉnh", "relative", "socio_political_orgs", "province", None)
NA_DELEGATION = ("Đoàn đại biểu Quốc hội tỉnh (đối với cấp tỉnh)", "body", "", "province", "province")
COUNCILS_SAME = ("HĐND, UBND cùng cấp", "body", "", "same_level", None)
COUNCIL = ("HĐND", "body", "", "", None)
FINANCE = ("Sở Tài Chính", "body", "", "", None)
RELATED = ("Các cơ quan, tổ chức liên quan", "body", "", "", None)

SECTIONS = [
    # number, parent number, title
    ("I", None, "MỤC ĐÍCH, YÊU CẦU"),
    ("II", None, "NỘI DUNG TRIỂN KHAI"),
    ("II.1", "II", "Về công tác thông tin, tuyên truyền"),
    ("II.2", "II", "Tiếp tục đổi mới nội dung, phương thức giám sát, phản biện xã hội"),
    ("II.3", "II", "Tập trung rà soát, đề xuất sửa đổi, bổ sung văn bản"),
    ("II.4", "II", "Xây dựng Báo cáo kết quả giám sát, phản biện xã hội"),
    ("III", None, "TỔ CHỨC THỰC HIỆN"),
]

TASKS = [
    # number, bullet, section, text, timeframe, leads, coordinators
    ("1.1", 0, "II.1", "Phối hợp với cơ quan truyền thông cùng cấp đẩy mạnh công tác tuyên truyền.", "Thường xuyên.",
     [BOARD_EVERY], [ORGS_EVERY]),
    ("2.1", 1, "II.2", "Hiệp thương, thống nhất xây dựng Kế hoạch giám sát, phản biện xã hội hằng năm.",
     "Quý IV hàng năm hoặc khi có hướng dẫn khác.", [BOARD_EVERY], [ORGS_EVERY]),
    ("2.1", 2, "II.2", "Trao đổi, thống nhất với các cơ quan liên quan để tránh chồng chéo.",
     "Ngay sau khi hiệp thương thống nhất.", [BOARD_EVERY], [NA_DELEGATION, COUNCILS_SAME]),
    ("2.2", 0, "II.2", "Tăng cường tổ chức giám sát chuyên đề.", "Theo kế hoạch.", [BOARD_EVERY], [ORGS_SAME]),
    ("3.1", 0, "II.3", "Phối hợp với Sở Tài chính rà soát Nghị quyết số 79/2017/NQ-HĐND.", "Năm 2023.",
     [BOARD_PROVINCE, FINANCE], [ORGS_PROVINCE, COMMITTEE_EVERY]),
    ("3.4", 0, "II.3", "Tham mưu cho Ban Thường vụ Tỉnh ủy ban hành Quy định về trả lời kiến nghị.", "Năm 2023",
     [BOARD_PROVINCE], [ORGS_PROVINCE, RELATED]),
    ("4.1", 0, "II.4", "Xây dựng Báo cáo kết quả giám sát, phản biện xã hội gửi HĐND cùng cấp.", "Định kỳ hằng năm.",
     [BOARD_EVERY], [COUNCIL, ORGS_SAME]),
]

LEGAL_BASES = [
    ("Chỉ thị số 18-CT/TW ngày 26/10/2022 của Ban Bí thư Trung ương Đảng", "18-CT/TW", date(2022, 10, 26)),
    ("Kế hoạch số 672/KH-MTTW-BTT ngày 05/01/2023 của Ban Thường trực Ủy ban Trung ương MTTQ Việt Nam",
     "672/KH-MTTW-BTT", date(2023, 1, 5)),
    ("Kế hoạch số 95-KH/TU ngày 24/5/2023 của Ban Thường vụ Tỉnh ủy Điện Biên", "95-KH/TU", date(2023, 5, 24)),
]

RESPONSIBILITIES = [
    ("1", "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh", "Ban hành Kế hoạch; hướng dẫn các cấp thực hiện."),
    ("2", "Các tổ chức chính trị - xã hội, các tổ chức thành viên khác", "Xây dựng kế hoạch trong hệ thống."),
    ("3", "Ban Thường trực Ủy ban MTTQ Việt Nam các huyện, thị xã, thành phố", "Xây dựng Kế hoạch ở cấp mình."),
]


def seed_like_plan(unit: OrgUnit, *, status: str = DocumentStatus.ISSUED, number: str = "16") -> PlanDocument:
    """The seed's shape as ``unit``'s plan (by default issued, so that units below can derive).
    Filled as a draft, then given its status, as a real plan is: the change log records the
    published plan once, whole (not once more for each part saved after it)."""
    plan = PlanDocument.objects.create(
        unit=unit, number=number, symbol="KH-MTTQ-BTT", issuer_text=f"{unit.name.upper()}\nBAN THƯỜNG TRỰC",
        place="Điện Biên", date=date(2023, 6, 1), status=DocumentStatus.DRAFT, directive_year=2022,
        title="Triển khai thực hiện Chỉ thị số 18-CT/TW ngày 26/10/2022 của Ban Bí thư Trung ương Đảng",
        signer_on_behalf="TM. BAN THƯỜNG TRỰC", signer_title="CHỦ TỊCH", signer_name="Lò Văn Mừng",
        recipients=["BTT UBTWMTTQVN (b/c);", "Lưu: VT, Ban DC-PL."],
    )
    for order, (text, reference, day) in enumerate(LEGAL_BASES):
        LegalBasis.objects.create(document=plan, order=order, text=text, reference=reference, reference_date=day)
    sections = {}
    for order, (number_, parent, title) in enumerate(SECTIONS):
        sections[number_] = Section.objects.create(
            document=plan, order=order, number=number_, title=title, parent=sections.get(parent))
    for order, (number_, party, text) in enumerate(RESPONSIBILITIES):
        Responsibility.objects.create(document=plan, order=order, number=number_, party=party, text=text)
    levels = {level.code: level for level in Level.objects.all()}
    for order, (number_, bullet, section, text, timeframe, leads, coordinators) in enumerate(TASKS):
        task = Task.objects.create(document=plan, section=sections[section], number=number_, bullet=bullet,
                                   order=order, text=text, timeframe_text=timeframe, timeframe={"text": timeframe})
        for role, parties in ((PartyRole.LEAD, leads), (PartyRole.COORDINATOR, coordinators)):
            for position, (party_text, kind, code, scope, limit) in enumerate(parties):
                body = OutsideBody.objects.get_or_create(name=party_text)[0] if kind == PartyKind.BODY else None
                TaskParty.objects.create(
                    task=task, document=plan, role=role, order=position, text=party_text, kind=kind,
                    relative_code=code, scope=scope, level_limit=levels.get(limit), body=body,
                )
    if status != DocumentStatus.DRAFT:
        plan.status = status
        plan.save(update_fields=["status"])
    return plan


def task_of(plan: PlanDocument, number: str, bullet: int = 0) -> Task:
    return plan.tasks.get(number=number, bullet=bullet)
