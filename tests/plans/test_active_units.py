"""Units ended or begun by a reform (the 2025 one ended every district on 30 June and merged
communes): they keep their history, but get no new plan when the subtree is derived, and a report
only for the years they were active in."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orgtree.models import Membership, OrgUnit, Role, UnitKind
from orgtree.services import create_unit
from plans.models import PlanDocument
from plans.services.derivation import DerivationError, derive_plan, run_subtree_job, start_subtree_derivation
from reviews.models import UnitReport
from reviews.services.errors import ReviewError
from reviews.services.reports import open_report, open_reports
from tests.plans.factories import seed_like_plan

pytestmark = pytest.mark.django_db
ENDED, BEGUN = date(2025, 6, 30), date(2025, 7, 1)


@pytest.fixture
def reformed(tree):
    """Mường Lay town (095) and its ward ended with the districts; a new ward directly under the province."""
    OrgUnit.objects.filter(code__in=["095", "03151"]).update(active_to=ENDED)
    new_ward = create_unit(code="03152", name="Ủy ban MTTQ Việt Nam phường Mường Lay", area_name="phường Mường Lay",
                           kind=UnitKind.objects.get(code="commune_committee"), parent=tree["11"], active_from=BEGUN)
    return new_ward


def test_the_subtree_derivation_skips_ended_units_and_reaches_new_ones(tree, reformed):
    province_plan = seed_like_plan(tree["11"])
    job = run_subtree_job(start_subtree_derivation(province_plan, tree["11"], tree.user("db.cadre")).pk)

    assert job.status == "done" and job.error == ""
    derived = dict(PlanDocument.objects.filter(parent_plan__isnull=False).values_list("unit__code", "parent_plan_id"))
    assert "095" not in derived and "03151" not in derived
    assert derived["03152"] == province_plan.pk  # the new ward derives from the province itself
    assert {"094", "03124", "03127"} <= derived.keys()
    assert job.total == len(derived)


def test_an_ended_unit_is_refused_a_new_plan_with_the_reason(tree, reformed):
    province_plan = seed_like_plan(tree["11"])
    with pytest.raises(DerivationError) as refused:
        derive_plan(province_plan, tree["095"])
    assert "không còn (hoặc chưa) hoạt động" in refused.value.message_vi and "095 is not active" in refused.value.message_en
    assert not PlanDocument.objects.filter(unit__code="095").exists()
    assert derive_plan(province_plan, reformed).unit == reformed


def test_reports_are_opened_only_for_the_years_a_unit_was_active(tree, reformed):
    for unit in (tree["095"], reformed):
        seed_like_plan(unit)
    units = OrgUnit.objects.filter(code__in=["095", "03152"])

    # 2025: the town worked until June, the new ward from July: both report.
    assert {r.unit.code for r in open_reports(units, 2025)} == {"095", "03152"}
    # 2026: only the new ward.
    assert {r.unit.code for r in open_reports(units, 2026)} == {"03152"}
    with pytest.raises(ReviewError) as refused:
        open_report(tree["095"], 2026)
    assert refused.value.code == "inactive" and "không hoạt động trong năm 2026" in refused.value.message_vi
    assert not UnitReport.objects.filter(unit__code="095", year=2026).exists()
    assert open_report(tree["095"], 2025).year == 2025  # its last year stays reachable


def test_the_report_page_says_why_an_ended_unit_has_no_report(client, tree, reformed):
    cadre = get_user_model().objects.create_user("muonglay.cadre")
    Membership.objects.create(user=cadre, unit=tree["095"], role=Role.objects.get(code="cadre"))
    client.force_login(cadre)
    response = client.post(reverse("unit-report", kwargs={"code": "095", "year": 2026}), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "không hoạt động trong năm 2026" in text and "was not active in 2026" in text
    assert not UnitReport.objects.filter(unit__code="095", year=2026).exists()
