"""Shared fixtures: a small real tree with two provinces, and a user for every role and place.

The tree (codes are real legacy codes, names shortened):

    TW  Ủy ban Trung ương MTTQ Việt Nam
    ├── 11   tỉnh Điện Biên            (+ member organizations 11-LDLD ... 11-HCCB)
    │   ├── 094  thành phố Điện Biên Phủ
    │   │   ├── 03124  phường Noong Bua
    │   │   └── 03127  phường Him Lam
    │   └── 095  thị xã Mường Lay
    │       └── 03151  phường Sông Đà
    └── 01   thành phố Hà Nội          (the unrelated province)
        └── 001  quận Ba Đình
            └── 00001  phường Phúc Xá
"""
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from orgtree import reference_data
from inspections import reference_data as inspections_reference_data
from reviews import reference_data as reviews_reference_data
from orgtree.models import Membership, OrgUnit, Role, UnitKind
from orgtree.services import add_member_organizations, create_unit

PASSWORD = "mat-khau-thu-nghiem-2026"

TREE = [
    # code, parent, kind, name, area
    ("TW", None, "central_committee", "Ủy ban Trung ương MTTQ Việt Nam", "Việt Nam"),
    ("11", "TW", "province_committee", "Ủy ban MTTQ Việt Nam tỉnh Điện Biên", "tỉnh Điện Biên"),
    ("094", "11", "district_committee", "Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ", "thành phố Điện Biên Phủ"),
    ("03124", "094", "commune_committee", "Ủy ban MTTQ Việt Nam phường Noong Bua", "phường Noong Bua"),
    ("03127", "094", "commune_committee", "Ủy ban MTTQ Việt Nam phường Him Lam", "phường Him Lam"),
    ("095", "11", "district_committee", "Ủy ban MTTQ Việt Nam thị xã Mường Lay", "thị xã Mường Lay"),
    ("03151", "095", "commune_committee", "Ủy ban MTTQ Việt Nam phường Sông Đà", "phường Sông Đà"),
    ("01", "TW", "province_committee", "Ủy ban MTTQ Việt Nam thành phố Hà Nội", "thành phố Hà Nội"),
    ("001", "01", "district_committee", "Ủy ban MTTQ Việt Nam quận Ba Đình", "quận Ba Đình"),
    ("00001", "001", "commune_committee", "Ủy ban MTTQ Việt Nam phường Phúc Xá", "phường Phúc Xá"),
]

# username -> (unit code, role code)
USERS = {
    "tw.analyst": ("TW", "central_analyst"),
    "db.chair": ("11", "chair"),
    "db.cadre": ("11", "cadre"),
    "db.viewer": ("11", "viewer"),
    "db.hnd.liaison": ("11-HND", "liaison"),
    "dbp.cadre": ("094", "cadre"),
    "himlam.cadre": ("03127", "cadre"),
    "himlam.chair": ("03127", "chair"),
    "hn.chair": ("01", "chair"),
}


@dataclass
class Tree:
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def __getitem__(self, code) -> OrgUnit:
        return OrgUnit.objects.get(pk=self.units[code].pk)  # fresh: lft/rght may have moved

    def user(self, username):
        return self.users[username]


def build_tree() -> Tree:
    # Transactional tests truncate every table, the migration's reference rows included.
    reference_data.seed()
    reviews_reference_data.seed()
    inspections_reference_data.seed()
    tree = Tree()
    kinds = {k.code: k for k in UnitKind.objects.all()}
    for code, parent, kind, name, area in TREE:
        tree.units[code] = create_unit(
            code=code, name=name, area_name=area, kind=kinds[kind],
            parent=tree.units[parent] if parent else None,
        )
    for org in add_member_organizations(OrgUnit.objects.get(code="11")):
        tree.units[org.code] = org
    roles = {r.code: r for r in Role.objects.all()}
    User = get_user_model()
    for username, (unit_code, role_code) in USERS.items():
        user = User.objects.create_user(username, password=PASSWORD)
        Membership.objects.create(user=user, unit=tree.units[unit_code], role=roles[role_code])
        tree.users[username] = user
    tree.users["root"] = User.objects.create_superuser("root", password=PASSWORD)
    return tree


@pytest.fixture
def tree(db) -> Tree:
    return build_tree()


@pytest.fixture
def transactional_tree(transactional_db) -> Tree:
    return build_tree()


def pytest_configure(config):
    """The cache (API rate counts) is a real Redis that outlives the test database: a run of its
    own key prefix, so that a rerun within the minute does not inherit the last run's counts."""
    import uuid

    from django.conf import settings

    settings.CACHES["default"]["KEY_PREFIX"] = f"mttq-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 costs ~0.5 s per user; the tree fixture makes ten. Tests need no slow hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _close_worker_connections(**kwargs):
    # Runs in the worker thread: give its connection back so the test database can be flushed.
    from django.db import connections

    connections.close_all()


@pytest.fixture
def celery_worker():
    """A real Celery worker, in a thread, on the real broker. Tests that use it need committed
    data (a transactional database): the worker has its own database connection."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    from mttq_platform.celery import app

    task_postrun.connect(_close_worker_connections)
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=30) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_worker_connections)
