"""The Điện Biên demo: the real tree as the 2023 seed plan knew it, and one user per role.

The tree is the legacy code set's province 11 (10 district-level units 094-103, 129 communes) under
the central committee, each Front committee with its five socio-political organizations. Loading
is idempotent: a second run finds everything in place and writes nothing (no audit rows either).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from mttq_platform.audit import acting_as
from orgtree.importers import ImportResult, import_units, read_vietnamadminunits
from orgtree.models import Membership, OrgUnit, Role

DEMO_PROVINCE = "11"  # Điện Biên
DEMO_CODE_SET = "legacy"
# Documented in the README; override with the DEMO_PASSWORD environment variable.
DEFAULT_DEMO_PASSWORD = "mttq-demo-2026"
ADMIN_USERNAME = "admin"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    unit_code: str
    role_code: str
    title: str


DEMO_USERS = [
    DemoUser("tw.phantich", "Lan", "Nguyễn Thị", "TW", "central_analyst", "Chuyên viên Ban Dân chủ - Pháp luật"),
    DemoUser("tinh.chutich", "Hùng", "Lò Văn", DEMO_PROVINCE, "chair", "Chủ tịch Ủy ban MTTQ tỉnh"),
    DemoUser("tinh.canbo", "Mai", "Trần Thị", DEMO_PROVINCE, "cadre", "Cán bộ Ban Dân chủ - Pháp luật"),
    DemoUser("tinh.xem", "Minh", "Phạm Văn", DEMO_PROVINCE, "viewer", "Cán bộ theo dõi"),
    DemoUser("tinh.hnd", "Thu", "Quàng Thị", f"{DEMO_PROVINCE}-HND", "liaison", "Cán bộ đầu mối Hội Nông dân tỉnh"),
    DemoUser("dbp.canbo", "Dũng", "Lê Văn", "094", "cadre", "Cán bộ Ủy ban MTTQ thành phố Điện Biên Phủ"),
    DemoUser("muonglay.canbo", "Hoa", "Lường Thị", "095", "cadre", "Cán bộ Ủy ban MTTQ thị xã Mường Lay"),
    DemoUser("himlam.chutich", "Thắng", "Cà Văn", "03127", "chair", "Chủ tịch Ủy ban MTTQ phường Him Lam"),
    DemoUser("himlam.canbo", "Hương", "Vũ Thị", "03127", "cadre", "Cán bộ Ủy ban MTTQ phường Him Lam"),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


@dataclass(frozen=True)
class DemoSummary:
    units: ImportResult
    users_created: int
    memberships_created: int


@transaction.atomic
def load_demo() -> DemoSummary:
    units = import_units(read_vietnamadminunits(DEMO_CODE_SET, [DEMO_PROVINCE]), code_set=DEMO_CODE_SET)
    roles = {role.code: role for role in Role.objects.all()}
    unit_by_code = OrgUnit.objects.in_bulk([user.unit_code for user in DEMO_USERS], field_name="code")
    User = get_user_model()
    users_created = memberships_created = 0
    with acting_as(None, "demo"):
        for demo in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=demo.username, defaults={"first_name": demo.first_name, "last_name": demo.last_name})
            users_created += created
            _membership, created = Membership.objects.get_or_create(
                user=user, unit=unit_by_code[demo.unit_code], role=roles[demo.role_code],
                defaults={"title": demo.title},
            )
            memberships_created += created
        _admin, created = User.objects.get_or_create(
            username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True})
        users_created += created
    _share_password([demo.username for demo in DEMO_USERS] + [ADMIN_USERNAME], demo_password())
    return DemoSummary(units, users_created, memberships_created)


def _share_password(usernames: list[str], password: str) -> None:
    """Give the demo users one password hash. Hashing is deliberately slow (~0.5 s), so a run
    checks it once and writes only when it no longer matches (a second run writes nothing)."""
    users = get_user_model().objects.filter(username__in=usernames)
    hashes = set(users.values_list("password", flat=True))
    if len(hashes) == 1 and check_password(password, hashes.pop()):
        return
    users.update(password=make_password(password))
