"""The 2025 reform on the real package data: Điện Biên (not merged: its committee continues) and
Cà Mau (the smallest merged pair: Bạc Liêu 95 + Cà Mau 96)."""
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Q

from mttq_platform.models import AuditLog
from orgtree.integrity import check_tree
from orgtree.models import Membership, OrgUnit, Role, UnitKind, UnitSuccession
from orgtree.reform import ReformError, read_conversion, reform_province
from plans.models import PlanDocument
from plans.services.derivation import run_subtree_job, start_subtree_derivation
from tests.plans.factories import seed_like_plan

pytestmark = pytest.mark.django_db

DIEN_BIEN, BAC_LIEU, CA_MAU = "11", "95", "96"
ENDED, BEGUN = date(2025, 6, 30), date(2025, 7, 1)
ORGANIZATIONS = 5  # the five socio-political organizations beside every committee


def import_legacy(*provinces):
    for code in provinces:
        call_command("import_units", "--province", code, "--code-set", "legacy", stdout=StringIO())


def counts():
    return OrgUnit.objects.count(), AuditLog.objects.count(), UnitSuccession.objects.count(), \
        OrgUnit.objects.filter(active_to__isnull=False).count()


def successor_codes(code):
    return set(OrgUnit.objects.filter(predecessor_links__predecessor__code=code).values_list("code", flat=True))


@pytest.fixture
def dien_bien():
    import_legacy(DIEN_BIEN)
    return OrgUnit.objects.get(code=DIEN_BIEN)


def test_the_conversion_data_of_dien_bien():
    conversion = read_conversion(DIEN_BIEN)
    assert conversion.legacy_province_codes == (DIEN_BIEN,)
    assert len({old for old, _ in conversion.links}) == 129 and len({new for _, new in conversion.links}) == 45
    # Phường Him Lam went into the new Phường Điện Biên Phủ, which reuses its code.
    assert [new for old, new in conversion.links if old == "03127"] == ["03127"]


def test_a_dry_run_writes_nothing_and_says_what_it_would_do(dien_bien):
    before = counts()
    result = reform_province(DIEN_BIEN, dry_run=True)
    assert counts() == before
    assert result.dry_run and result.continued and result.province == DIEN_BIEN
    assert len(result.created) == 45 * (1 + ORGANIZATIONS)
    assert len(result.ended) == (10 + 129) * (1 + ORGANIZATIONS)
    assert len(result.successions) == 129 * (1 + ORGANIZATIONS)
    assert "03127-2025" in result.created and ("03127", "03127-2025") in result.successions


def test_dien_bien_keeps_its_committee_and_gets_45_communes(dien_bien):
    people = get_user_model().objects.create_user("tinh.canbo")
    Membership.objects.create(user=people, unit=dien_bien, role=Role.objects.get(code="cadre"))
    result = reform_province(DIEN_BIEN)

    province = OrgUnit.objects.get(code=DIEN_BIEN)
    assert (province.pk, province.active_to, result.province, result.continued) == (dien_bien.pk, None, DIEN_BIEN, True)
    assert Membership.objects.filter(unit=province, user=people).exists()
    assert OrgUnit.objects.filter(parent=province, kind__category="member_organization", active_to=None).count() == 5

    communes = OrgUnit.objects.filter(parent=province, kind__code="commune_committee")
    assert communes.count() == 45
    names = [unit.area_name for unit in communes]
    assert (sum(n.startswith("xã ") for n in names), sum(n.startswith("phường ") for n in names)) == (42, 3)
    assert {(u.code_set.code, u.active_from, u.active_to) for u in communes} == {("2025", BEGUN, None)}
    for commune in communes:
        organizations = commune.get_children()
        assert organizations.count() == ORGANIZATIONS
        assert {o.active_from for o in organizations} == {BEGUN}

    districts = OrgUnit.objects.filter(parent=province, kind__code="district_committee")
    legacy_communes = OrgUnit.objects.filter(code_set__code="legacy", kind__code="commune_committee")
    assert districts.count() == 10 and legacy_communes.count() == 129
    ended = OrgUnit.objects.filter(active_to=ENDED)
    assert ended.count() == (10 + 129) * (1 + ORGANIZATIONS) == len(result.ended)
    for district in districts:  # the whole district, communes and organizations included, ended
        assert not district.get_descendants(include_self=True).exclude(active_to=ENDED).exists()

    # Every ended commune has a successor and every new commune a predecessor, organizations too.
    assert not legacy_communes.filter(successor_links__isnull=True).exists()
    assert not communes.filter(predecessor_links__isnull=True).exists()
    assert not OrgUnit.objects.filter(parent__in=communes, predecessor_links__isnull=True).exists()
    assert not OrgUnit.objects.filter(parent__in=legacy_communes, successor_links__isnull=True).exists()
    assert not districts.filter(successor_links__isnull=False).exists()  # districts stopped, nobody took over

    him_lam = OrgUnit.objects.get(code="03127")
    assert (him_lam.parent.code, him_lam.active_to) == ("094", ENDED)  # ended, not moved
    assert successor_codes("03127") == {"03127-2025"}
    assert OrgUnit.objects.get(code="03127-2025").name == "Ủy ban MTTQ Việt Nam phường Điện Biên Phủ"
    assert successor_codes("03127-HND") == {"03127-2025-HND"}
    assert {s.effective_date for s in UnitSuccession.objects.all()} == {BEGUN}
    assert check_tree() == []


def test_a_second_run_changes_nothing(dien_bien):
    reform_province(DIEN_BIEN)
    before = counts()
    again = reform_province(DIEN_BIEN)
    assert not again.changed and (again.ended, again.created, again.successions) == ([], [], [])
    assert counts() == before
    # The demo's legacy import again: the legacy units match and keep their end dates.
    import_legacy(DIEN_BIEN)
    assert counts() == before


def test_the_command_prints_a_summary_and_the_tree_stays_sound(dien_bien):
    out = StringIO()
    call_command("reform_2025", "--province", DIEN_BIEN, "--dry-run", stdout=out)
    assert "Chạy thử" in out.getvalue() and not OrgUnit.objects.filter(active_to__isnull=False).exists()

    out = StringIO()
    call_command("reform_2025", "--province", DIEN_BIEN, stdout=out)
    text = out.getvalue()
    assert "ngừng hoạt động từ 30/06/2025 834 đơn vị, tạo mới 270 đơn vị, ghi 774 quan hệ kế tục" in text
    assert "834 units ended on 2025-06-30, 270 created, 774 successions" in text
    call_command("check_tree", stdout=StringIO())

    out = StringIO()
    call_command("reform_2025", "--province", DIEN_BIEN, stdout=out)
    assert "không có gì thay đổi" in out.getvalue() and "nothing changed" in out.getvalue()


@pytest.mark.parametrize(
    "province, vi, en",
    [
        ("99", "không có tỉnh/thành phố mã 99 trong bộ mã 2025", "no province with code 99 in the 2025 code set"),
        (BAC_LIEU, "đã hợp nhất vào Tỉnh Cà Mau, hãy dùng --province 96", "use --province 96"),
        (CA_MAU, "tỉnh mã 95 (bộ mã legacy) chưa có trong cây đơn vị", "legacy province 95 is not in the tree"),
    ],
)
def test_bad_province_codes_are_refused_in_both_languages(dien_bien, province, vi, en):
    import_legacy(CA_MAU)  # Bạc Liêu, merged with it, is missing
    before = counts()
    with pytest.raises(CommandError) as refused:
        call_command("reform_2025", "--province", province, stdout=StringIO())
    assert vi in str(refused.value) and en in str(refused.value)
    assert counts() == before


def test_units_whose_dates_contradict_the_reform_are_refused(dien_bien):
    OrgUnit.objects.filter(code="03124").update(active_to=date(2024, 12, 31))  # a listed commune ended earlier
    OrgUnit.objects.filter(code="03127").update(active_to=date(2025, 12, 31))  # one that runs on
    before = counts()
    with pytest.raises(ReformError) as refused:
        reform_province(DIEN_BIEN)
    message = str(refused.value)
    assert "đơn vị 03124, 03127 có ngày hoạt động trái với cuộc sắp xếp" in message
    assert "unit 03124, 03127 has active dates that contradict the reform" in message
    assert counts() == before


def test_a_merged_province_gets_a_new_committee_and_the_old_ones_end():
    import_legacy(BAC_LIEU, CA_MAU)
    old = {code: OrgUnit.objects.get(code=code) for code in (BAC_LIEU, CA_MAU)}
    result = reform_province(CA_MAU)

    assert not result.continued and result.province == "96-2025"  # code 96 is the legacy Cà Mau's
    province = OrgUnit.objects.get(code="96-2025")
    assert (province.parent.code, province.name, province.active_from) == ("TW", "Ủy ban MTTQ Việt Nam tỉnh Cà Mau", BEGUN)
    assert province.get_children().filter(kind__code="commune_committee").count() == 64
    assert province.get_children().filter(kind__category="member_organization").count() == ORGANIZATIONS
    for code, unit in old.items():
        assert not unit.get_descendants(include_self=True).exclude(active_to=ENDED).exists()
        assert successor_codes(code) == {"96-2025"}
        assert successor_codes(f"{code}-HND") == {"96-2025-HND"}
    # A divided commune (Đông Hưng, Cái Nước) went to two new communes.
    dong_hung = OrgUnit.objects.get(code_set__code="legacy", name__endswith="xã Đông Hưng", parent__name__contains="Cái Nước")
    assert len(successor_codes(dong_hung.code)) == 2
    assert check_tree() == []
    assert not reform_province(CA_MAU).changed


def test_after_the_reform_the_subtree_derivation_reaches_the_new_communes_only(dien_bien):
    cadre = get_user_model().objects.create_user("tinh.canbo")
    Membership.objects.create(user=cadre, unit=dien_bien, role=Role.objects.get(code="cadre"))
    reform_province(DIEN_BIEN)
    province_plan = seed_like_plan(OrgUnit.objects.get(code=DIEN_BIEN))

    job = run_subtree_job(start_subtree_derivation(province_plan, OrgUnit.objects.get(code=DIEN_BIEN), cadre).pk)

    assert job.status == "done" and job.error == ""
    derived = OrgUnit.objects.filter(pk__in=PlanDocument.objects.filter(parent_plan__isnull=False).values("unit"))
    new_communes = OrgUnit.objects.filter(code_set__code="2025", kind=UnitKind.objects.get(code="commune_committee"))
    assert set(new_communes) <= set(derived)
    legacy_committees = OrgUnit.objects.filter(
        Q(kind__code="district_committee") | Q(code_set__code="legacy", kind__code="commune_committee"))
    assert legacy_committees.count() == 139
    assert not derived.filter(Q(pk__in=legacy_committees) | Q(parent__in=legacy_committees)).exists()
    assert not derived.filter(active_to__isnull=False).exists()
    assert derived.filter(parent__in=new_communes).count() == 45 * ORGANIZATIONS
