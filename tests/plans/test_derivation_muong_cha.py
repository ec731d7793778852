"""Issue 3's derivation check on the real Điện Biên tree: the province's issued seed plan is
derived, by a real Celery worker on the real broker, for the district of Mường Chà (097) and for
all its communes (and the member organizations beside each committee)."""
import time
from pathlib import Path

import pytest

from orgtree import reference_data
from orgtree.management.demo import load_demo
from orgtree.models import OrgUnit
from plans.models import DerivationJob, PartyKind, PartyRole, PlanDocument, Task
from plans.services import guidance
from plans.services.derivation import start_subtree_derivation
from plans.services.importing import import_plan_file

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
MUONG_CHA = "097"


def wait_for(job, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in (DerivationJob.Status.DONE, DerivationJob.Status.FAILED):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job.status} after {seconds} s")


@pytest.mark.worker
def test_the_province_derives_for_muong_cha_and_all_its_communes(transactional_db, celery_worker):
    reference_data.seed()  # an earlier transactional test may have truncated the migration's rows
    load_demo()
    province = OrgUnit.objects.get(code="11")
    chair = province.memberships.get(role__code="chair").user
    seed = guidance.issue(import_plan_file(SEED, province), chair)
    district = OrgUnit.objects.get(code=MUONG_CHA)
    subtree = OrgUnit.objects.within(district)
    communes = subtree.filter(kind__code="commune_committee")
    assert communes.count() > 5  # the real legacy set: Mường Chà's communes

    job = wait_for(start_subtree_derivation(seed, district, chair))

    assert job.status == DerivationJob.Status.DONE, job.error
    assert job.created_plans == job.total == subtree.count()
    district_plan = PlanDocument.objects.get(unit=district, parent_plan=seed)
    for commune in communes:
        plan = PlanDocument.objects.get(unit=commune)
        assert plan.parent_plan == district_plan
    # Every derived task links to the task it came from, one level up.
    derived = Task.objects.filter(document__unit__in=subtree)
    assert not derived.filter(parent_task__isnull=True).exists()
    assert set(derived.filter(document=district_plan).values_list("parent_task__document", flat=True)) == {seed.pk}
    # "Ban Thường trực Ủy ban MTTQ Việt Nam các cấp" is each unit's own standing board.
    commune = communes.first()
    lead = Task.objects.get(document__unit=commune, number="2.2").parties.get(role=PartyRole.LEAD)
    assert (lead.kind, lead.unit) == (PartyKind.UNIT, commune)
    assert commune.area_name.lower() in lead.text.lower()
    # Running it again creates nothing twice.
    again = wait_for(start_subtree_derivation(seed, district, chair))
    assert again.status == DerivationJob.Status.DONE and again.created_plans == 0
    assert PlanDocument.objects.filter(unit__in=subtree).count() == subtree.count()
