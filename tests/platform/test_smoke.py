import pytest

from mttq_platform.permissions import can


@pytest.mark.django_db
def test_commune_cadre_sees_own_commune_not_sibling(tree):
    cadre = tree.user("himlam.cadre")
    assert can(cadre, "view", tree["03127"])
    assert not can(cadre, "view", tree["03124"])
