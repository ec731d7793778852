"""Reference rows every installation starts with: levels, unit kinds, code sets and roles.

They are data (admins may add member organizations, kinds or roles); this module only seeds them,
idempotently, from the initial migration and from the demo loader.
"""
from datetime import date

LEVELS = [
    # code, name, name_en, rank
    ("central", "Trung ương", "Central", 0),
    ("province", "Cấp tỉnh", "Province", 1),
    ("district", "Cấp huyện", "District", 2),
    ("commune", "Cấp xã", "Commune", 3),
]

FRONT_COMMITTEE_KINDS = [
    # code, name, name_en, level
    ("central_committee", "Ủy ban Trung ương MTTQ Việt Nam", "Central Committee of the Front", "central"),
    ("province_committee", "Ủy ban MTTQ cấp tỉnh", "Province Front committee", "province"),
    ("district_committee", "Ủy ban MTTQ cấp huyện", "District Front committee", "district"),
    ("commune_committee", "Ủy ban MTTQ cấp xã", "Commune Front committee", "commune"),
]

# The five socio-political organizations (DOMAIN.md); more member organizations can be added.
MEMBER_ORGANIZATION_KINDS = [
    # code, name, name_en, short code used in derived unit codes
    ("ldld", "Liên đoàn Lao động", "Labour Federation", "LDLD"),
    ("hnd", "Hội Nông dân", "Farmers' Association", "HND"),
    ("hlhpn", "Hội Liên hiệp Phụ nữ", "Women's Union", "HLHPN"),
    ("dtn", "Đoàn TNCS Hồ Chí Minh", "Ho Chi Minh Communist Youth Union", "DTN"),
    ("hccb", "Hội Cựu chiến binh", "Veterans' Association", "HCCB"),
]

CODE_SETS = [
    ("legacy", "Danh mục đơn vị hành chính trước 01/07/2025", None, date(2025, 6, 30)),
    ("2025", "Danh mục đơn vị hành chính từ 01/07/2025", date(2025, 7, 1), None),
]

ROLES = [
    # code, name, name_en, actions
    ("chair", "Chủ tịch / Ủy viên Ban Thường trực", "Chair / standing board member", ["view", "add", "change", "delete", "manage"]),
    ("cadre", "Cán bộ", "Cadre", ["view", "add", "change", "delete"]),
    ("liaison", "Cán bộ đầu mối tổ chức thành viên", "Member-organization liaison", ["view", "add", "change"]),
    ("viewer", "Người xem", "Viewer", ["view"]),
    ("central_analyst", "Chuyên viên phân tích (Trung ương)", "Central analyst", ["view"]),
]


def seed(apps=None):
    """Create or update the reference rows; safe to run any number of times."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Level = apps.get_model("orgtree", "Level")
    UnitKind = apps.get_model("orgtree", "UnitKind")
    CodeSet = apps.get_model("orgtree", "CodeSet")
    Role = apps.get_model("orgtree", "Role")
    levels = {}
    for code, name, name_en, rank in LEVELS:
        levels[code], _ = Level.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "rank": rank})
    for code, name, name_en, level in FRONT_COMMITTEE_KINDS:
        UnitKind.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "category": "front_committee", "level": levels[level]}
        )
    for code, name, name_en, short in MEMBER_ORGANIZATION_KINDS:
        UnitKind.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "category": "member_organization", "short_code": short,
                      "is_socio_political": True, "level": None},
        )
    for code, name, valid_from, valid_to in CODE_SETS:
        CodeSet.objects.update_or_create(code=code, defaults={"name": name, "valid_from": valid_from, "valid_to": valid_to})
    for code, name, name_en, actions in ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "actions": actions})
