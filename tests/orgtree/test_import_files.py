"""Import from CSV and JSON files; malformed files are refused whole, naming the line."""
import json

import pytest
from django.core.management import CommandError, call_command

from orgtree.importers import ImportFileError, read_file
from orgtree.integrity import check_tree
from orgtree.models import OrgUnit

pytestmark = pytest.mark.django_db

HEADER = "code,name,level,parent_code,active_from,active_to"
HA_NOI = [
    # code, name, level, parent code, active from, active to
    ("01", "Thành phố Hà Nội", "province", "", "", ""),
    ("001", "Quận Ba Đình", "district", "01", "", ""),
    ("00001", "Phường Phúc Xá", "commune", "001", "2008-08-01", ""),
    ("00004", "Phường Trúc Bạch", "commune", "001", "", "30/06/2025"),
]


def write_csv(path, rows, header=HEADER):
    path.write_text("\n".join([header] + [",".join(row) for row in rows]) + "\n", encoding="utf-8")
    return path


def write_json(path, rows):
    keys = HEADER.split(",")
    path.write_text(json.dumps([dict(zip(keys, row)) for row in rows], ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("write, name", [(write_csv, "units.csv"), (write_json, "units.json")])
def test_import_from_file(tmp_path, write, name, capsys):
    path = write(tmp_path / name, HA_NOI)
    call_command("import_units", "--source", str(path), "--code-set", "legacy")
    assert "created 30" in capsys.readouterr().out  # 4 committees + the root's organizations, 5 each

    phuc_xa = OrgUnit.objects.get(code="00001")
    assert phuc_xa.name == "Ủy ban MTTQ Việt Nam phường Phúc Xá"
    assert phuc_xa.parent.code == "001" and phuc_xa.parent.parent.parent.code == "TW"
    assert phuc_xa.kind.code == "commune_committee" and phuc_xa.level.code == "commune"
    assert str(phuc_xa.active_from) == "2008-08-01"
    assert str(OrgUnit.objects.get(code="00004").active_to) == "2025-06-30"
    assert OrgUnit.objects.get(code="00004-HND").active_to == OrgUnit.objects.get(code="00004").active_to
    assert check_tree() == []

    call_command("import_units", "--source", str(path), "--code-set", "legacy")
    assert "created 0, updated 0" in capsys.readouterr().out


def test_reimport_renames_and_moves_units(tmp_path, capsys):
    call_command("import_units", "--source", str(write_csv(tmp_path / "a.csv", HA_NOI)))
    him_lam_id = OrgUnit.objects.get(code="00004").pk
    changed = HA_NOI + [("002", "Quận Hoàn Kiếm", "district", "01", "", "")]
    changed[3] = ("00004", "Phường Trúc Bạch Mới", "commune", "002", "", "30/06/2025")
    call_command("import_units", "--source", str(write_csv(tmp_path / "b.csv", changed)))
    # The new district with its organizations; the ward and its 5 organizations (renamed along).
    assert "created 6, updated 6" in capsys.readouterr().out

    moved = OrgUnit.objects.get(code="00004")
    assert moved.pk == him_lam_id
    assert moved.parent.code == "002" and moved.name == "Ủy ban MTTQ Việt Nam phường Trúc Bạch Mới"
    assert OrgUnit.objects.get(code="00004-HND").parent == moved  # the organizations moved along
    assert check_tree() == []


BAD_CSV = [
    # rows after the header, expected line, expected message part (en)
    ([HA_NOI[0], ("", "Quận Ba Đình", "district", "01", "", "")], 3, "missing unit code"),
    ([HA_NOI[0], ("001", "", "district", "01", "", "")], 3, "missing unit name"),
    ([HA_NOI[0], ("001", "Quận Ba Đình", "huyen", "01", "", "")], 3, "unknown level 'huyen'"),
    ([HA_NOI[0], HA_NOI[1], ("00001", "Phường Phúc Xá", "commune", "999", "", "")], 4, "unknown parent code '999'"),
    ([HA_NOI[0], HA_NOI[1], HA_NOI[1]], 4, "duplicate unit code '001'"),
    ([HA_NOI[0], ("001", "Quận Ba Đình", "district", "01", "31/02/2020", "")], 3, "invalid date '31/02/2020'"),
    ([HA_NOI[0], ("001", "Quận Ba Đình", "district", "01", "", "", "extra")], 3, "the line has more fields than the header"),
]


@pytest.mark.parametrize("rows, line, message", BAD_CSV)
def test_malformed_csv_names_the_line_and_imports_nothing(tmp_path, rows, line, message):
    path = write_csv(tmp_path / "bad.csv", rows)
    before = OrgUnit.objects.count()
    with pytest.raises(CommandError) as raised:
        call_command("import_units", "--source", str(path))
    assert f"Dòng {line}:" in str(raised.value) and f"Line {line}: {message}" in str(raised.value)
    assert OrgUnit.objects.count() == before == 0


def test_error_after_valid_rows_leaves_nothing_half_imported(tmp_path):
    """The last row's parent is a commune: the rows before it are valid but nothing is kept."""
    rows = HA_NOI + [("00007", "Phường Vĩnh Phúc", "commune", "00001", "", "")]
    with pytest.raises(CommandError, match="Line 6: parent '00001' is not at a higher level"):
        call_command("import_units", "--source", str(write_csv(tmp_path / "bad.csv", rows)))
    assert OrgUnit.objects.count() == 0


def test_csv_header_is_checked(tmp_path):
    path = write_csv(tmp_path / "bad.csv", HA_NOI, header="ma,ten,cap")
    with pytest.raises(ImportFileError, match="Line 1: the header lacks column"):
        read_file(path)


@pytest.mark.parametrize("content, where, message", [
    ('[{"code": "01", "name": "Thành phố Hà Nội", "level": "province"},\n 42]', "Mục 2:", "Item 2: each item must be a JSON object"),
    ('[{"code": "01", "name": "Thành phố Hà Nội", "level": "province"}, {"name": "Quận Ba Đình"}]', "Mục 2:", "Item 2: missing unit code"),
    ('[{"code": "01", "name": "Thành phố Hà Nội", "level": "province", "active_to": "2025-13-01"}]', "Mục 1:", "Item 1: invalid date"),
    ('[{"code": 1, "name": "Thành phố Hà Nội", "level": "province"}]', "Mục 1:", "Item 1: 'code' must be a string"),
    ('[{"code": "01", "name": "Thành phố Hà Nội", "level": "province"},\n\n {"code": "001",]', "Dòng 3:", "Line 3: invalid JSON"),
    ('{"code": "01"}', "", "the JSON file must be a list of units"),
])
def test_malformed_json_names_the_item_and_imports_nothing(tmp_path, content, where, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_units", "--source", str(path))
    assert where in str(raised.value) and message in str(raised.value)
    assert OrgUnit.objects.count() == 0
