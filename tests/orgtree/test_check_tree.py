"""check_tree: set-based verification of the nested sets; corruption exits non-zero."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from orgtree.importers import import_units, read_vietnamadminunits
from orgtree.integrity import check_tree
from orgtree.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def dien_bien():
    import_units(read_vietnamadminunits("legacy", ["11"]), code_set="legacy")


def corrupt(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def run_check_tree():
    with pytest.raises(CommandError) as raised:
        call_command("check_tree")
    assert raised.value.returncode == 1
    return str(raised.value)


def test_sound_tree_passes(dien_bien, capsys):
    call_command("check_tree")
    assert "Tree OK: 1 tree(s), 846 units" in capsys.readouterr().out


def test_corrupt_lft_is_detected(dien_bien, capsys):
    him_lam = OrgUnit.objects.get(code="03127")
    corrupt("UPDATE orgtree_orgunit SET lft = lft + 1 WHERE id = %s", [him_lam.pk])
    assert "corrupt" in run_check_tree()
    err = capsys.readouterr().err
    assert "[bounds]" in err and "[sequence]" in err and "03127" in err


def test_gap_is_detected(dien_bien, capsys):
    corrupt("UPDATE orgtree_orgunit SET rght = rght + 2 WHERE parent_id IS NULL", [])
    run_check_tree()
    assert "[sequence]" in capsys.readouterr().err


def test_wrong_depth_and_tree_id_are_detected(dien_bien, capsys):
    corrupt("UPDATE orgtree_orgunit SET depth = 7 WHERE code = %s", ["094"])
    corrupt("UPDATE orgtree_orgunit SET tree_id = 99 WHERE code = %s", ["03124"])
    run_check_tree()
    err = capsys.readouterr().err
    assert "[parent]" in err and "094" in err and "03124" in err and "[one_root]" in err


def test_parent_pointer_that_disagrees_with_the_intervals_is_detected(dien_bien, capsys):
    """Every value is still 1..2n and every node lies inside its parent's interval, yet Him Lam
    claims the province as its parent while it sits inside Điện Biên Phủ's interval."""
    province, him_lam = OrgUnit.objects.get(code="11"), OrgUnit.objects.get(code="03127")
    corrupt("UPDATE orgtree_orgunit SET parent_id = %s, depth = depth - 1 WHERE id = %s", [province.pk, him_lam.pk])
    corrupt("UPDATE orgtree_orgunit SET depth = depth - 1 WHERE parent_id = %s", [him_lam.pk])
    problems = check_tree()
    assert {problem.check for problem in problems} == {"siblings"}
    run_check_tree()
