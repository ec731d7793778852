"""Import from the vietnamadminunits package: both code sets, reused codes, audit, idempotence."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from mttq_platform.models import AuditLog
from orgtree.importers import import_units, read_vietnamadminunits
from orgtree.integrity import check_tree
from orgtree.models import OrgUnit

pytestmark = pytest.mark.django_db

DIEN_BIEN = "11"


def test_package_rows_for_dien_bien():
    legacy = read_vietnamadminunits("legacy", [DIEN_BIEN])
    assert [row.level for row in legacy].count("district") == 10
    assert [row.level for row in legacy].count("commune") == 129
    assert legacy[0].name == "Tỉnh Điện Biên" and legacy[0].parent_code == ""
    him_lam = next(row for row in legacy if row.admin_code == "03127")
    assert (him_lam.name, him_lam.parent_code) == ("Phường Him Lam", "094")

    reformed = read_vietnamadminunits("2025", [DIEN_BIEN])
    communes = [row for row in reformed if row.level == "commune"]
    assert len(communes) == 45 and {row.parent_code for row in communes} == {DIEN_BIEN}
    assert not any(row.level == "district" for row in reformed)


def test_whole_country_rows_include_districts_without_communes():
    rows = read_vietnamadminunits("legacy")
    levels = [row.level for row in rows]
    assert (levels.count("province"), levels.count("district"), levels.count("commune")) == (63, 696, 10035)
    assert len({row.admin_code for row in rows}) == len(rows)


def test_2025_set_beside_the_legacy_one_keeps_reused_codes_apart():
    call_command("import_units", "--province", DIEN_BIEN, "--code-set", "legacy")
    call_command("import_units", "--province", DIEN_BIEN, "--code-set", "2025")

    legacy_him_lam = OrgUnit.objects.get(code_set__code="legacy", admin_code="03127")
    new_ward = OrgUnit.objects.get(code_set__code="2025", admin_code="03127")
    assert legacy_him_lam.code == "03127" and legacy_him_lam.name == "Ủy ban MTTQ Việt Nam phường Him Lam"
    assert new_ward.code == "03127-2025" and new_ward.name == "Ủy ban MTTQ Việt Nam phường Điện Biên Phủ"

    province_2025 = OrgUnit.objects.get(code_set__code="2025", admin_code=DIEN_BIEN)
    assert province_2025.code == "11-2025" and province_2025.parent.code == "TW"
    communes = province_2025.get_children().filter(kind__code="commune_committee")
    assert communes.count() == 45
    assert all(unit.code_set.code == "2025" for unit in communes)
    assert OrgUnit.objects.filter(code="11-2025-HND", parent=province_2025).exists()
    assert new_ward.get_children().count() == 5
    assert check_tree() == []


def test_second_import_changes_nothing():
    rows = read_vietnamadminunits("2025", [DIEN_BIEN])
    first = import_units(rows, code_set="2025")
    # The root, the province and its 45 communes, each with its 5 organizations.
    assert first.created == (1 + 1 + 45) * 6
    audit_rows = AuditLog.objects.count()
    again = import_units(rows, code_set="2025")
    assert (again.created, again.updated) == (0, 0)
    assert AuditLog.objects.count() == audit_rows


def test_bulk_import_writes_an_audit_row_per_created_unit(django_user_model):
    operator = django_user_model.objects.create_user("nhap.lieu")
    before = AuditLog.objects.count()
    result = import_units(read_vietnamadminunits("legacy", [DIEN_BIEN]), code_set="legacy", actor=operator)
    created = AuditLog.objects.filter(action="create", content_type=ContentType.objects.get_for_model(OrgUnit))
    assert AuditLog.objects.count() - before == created.count() == result.created == OrgUnit.objects.count()
    entry = created.get(object_id=str(OrgUnit.objects.get(code="03127").pk))
    assert entry.actor == operator and entry.source == "import"
    assert entry.after["name"] == "Ủy ban MTTQ Việt Nam phường Him Lam" and entry.after["admin_code"] == "03127"


def test_new_units_go_under_existing_ones_and_existing_rows_keep_their_ids():
    import_units(read_vietnamadminunits("legacy", [DIEN_BIEN]), code_set="legacy", member_organizations=False)
    ids = dict(OrgUnit.objects.values_list("code", "id"))
    # Now with member organizations: 5 new children under every existing committee, all over the tree.
    result = import_units(read_vietnamadminunits("legacy", [DIEN_BIEN]), code_set="legacy")
    assert result.created == (1 + 1 + 10 + 129) * 5
    assert dict(OrgUnit.objects.filter(code__in=ids).values_list("code", "id")) == ids
    assert check_tree() == []
    him_lam = OrgUnit.objects.get(code="03127")
    assert him_lam.get_descendant_count() == 5 and him_lam.depth == 3


def test_dry_run_saves_nothing(capsys):
    call_command("import_units", "--province", DIEN_BIEN, "--dry-run")
    assert OrgUnit.objects.count() == 0
    assert "dry run" in capsys.readouterr().out
