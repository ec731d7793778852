"""The Điện Biên demo: the real legacy tree of province 11, loaded idempotently."""
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from mttq_platform.models import AuditLog
from orgtree.management.demo import DEMO_USERS, demo_password
from orgtree.models import Membership, OrgUnit, UnitKind

pytestmark = pytest.mark.django_db

MEMBER_ORGANIZATIONS_PER_COMMITTEE = 5


def counts():
    return {
        "units": OrgUnit.objects.count(),
        "memberships": Membership.objects.count(),
        "users": get_user_model().objects.count(),
        "audit": AuditLog.objects.count(),
    }


def test_demo_loads_twice_with_the_same_counts_and_a_sound_tree(capsys):
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first  # no new units, users, memberships, nor audit rows
    call_command("check_tree")
    assert "Tree OK" in capsys.readouterr().out


def test_demo_is_the_real_dien_bien_tree_with_member_organizations_everywhere():
    call_command("load_demo")
    committees = OrgUnit.objects.filter(kind__category=UnitKind.Category.FRONT_COMMITTEE)
    by_kind = {kind: committees.filter(kind__code=kind).count()
               for kind in ("central_committee", "province_committee", "district_committee", "commune_committee")}
    assert by_kind == {"central_committee": 1, "province_committee": 1, "district_committee": 10,
                       "commune_committee": 129}
    assert sorted(committees.filter(kind__code="district_committee").values_list("code", flat=True)) == [
        f"{code:03d}" for code in range(94, 104)]
    province = OrgUnit.objects.get(code="11")
    assert province.name == "Ủy ban MTTQ Việt Nam tỉnh Điện Biên"
    assert province.parent.code == "TW" and province.code_set.code == "legacy"
    assert OrgUnit.objects.get(code="03127").name == "Ủy ban MTTQ Việt Nam phường Him Lam"
    assert OrgUnit.objects.get(code="095").area_name == "thị xã Mường Lay"  # the package writes "Thị Xã"
    for committee in committees:
        organizations = committee.get_children().filter(kind__category=UnitKind.Category.MEMBER_ORGANIZATION)
        assert organizations.count() == MEMBER_ORGANIZATIONS_PER_COMMITTEE, committee.code
    farmers = OrgUnit.objects.get(code="11-HND")
    assert farmers.name == "Hội Nông dân tỉnh Điện Biên" and farmers.parent == province
    assert OrgUnit.objects.count() == (1 + 1 + 10 + 129) * (1 + MEMBER_ORGANIZATIONS_PER_COMMITTEE)


def test_demo_users_log_in_with_the_shared_password(client, capsys):
    call_command("load_demo")
    User = get_user_model()
    roles = {(m.user.username, m.unit.code, m.role.code) for m in Membership.objects.select_related("user", "unit", "role")}
    assert {(d.username, d.unit_code, d.role_code) for d in DEMO_USERS} <= roles
    assert {("tw.phantich", "TW", "central_analyst"), ("tinh.chutich", "11", "chair"), ("tinh.canbo", "11", "cadre"),
            ("tinh.hnd", "11-HND", "liaison"), ("dbp.canbo", "094", "cadre"), ("himlam.canbo", "03127", "cadre")} <= roles
    assert User.objects.get(username="admin").is_superuser
    assert all(user.username.isascii() for user in User.objects.all())
    assert client.login(username="himlam.canbo", password=demo_password())

    call_command("demo_logins")
    out = capsys.readouterr().out
    assert "himlam.canbo" in out and demo_password() in out and "03127 Ủy ban MTTQ Việt Nam phường Him Lam" in out
    assert "/accounts/login/" in out
