"""End to end: the real seed imported as the province's plan, issued, derived for its subtree."""
from pathlib import Path

from plans.models import DocumentStatus, PartyKind, PartyRole, PlanDocument
from plans.services.derivation import default_rules, party_units, run_subtree_job, start_subtree_derivation
from plans.services.importing import import_plan_file
from orgtree.services import add_member_organizations

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"


def test_the_seed_derives_down_to_the_communes(tree):
    add_member_organizations(tree["094"])
    seed = import_plan_file(SEED, tree["11"])
    PlanDocument.objects.filter(pk=seed.pk).update(status=DocumentStatus.ISSUED)
    seed = PlanDocument.objects.get(pk=seed.pk)

    rules = {task.number: rule for task in seed.tasks.all() if (rule := default_rules(seed, tree["094"])[task.pk])}
    assert rules["1.1"] == rules["4.1"] == "carry"
    assert rules["3.4"] == "omit"  # "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh" alone

    job = run_subtree_job(start_subtree_derivation(seed, tree["11"], tree.user("db.chair")).pk)

    assert job.status == "done" and job.created_plans == job.total
    commune_plan = PlanDocument.objects.get(unit=tree["03127"])
    district_plan = PlanDocument.objects.get(unit=tree["094"])
    assert commune_plan.parent_plan == district_plan and district_plan.parent_plan == seed
    task = commune_plan.tasks.get(number="2.2")
    assert task.parent_task.parent_task == seed.tasks.get(number="2.2")
    lead = task.parties.get(role=PartyRole.LEAD)
    assert (lead.kind, lead.unit) == (PartyKind.UNIT, tree["03127"])
    # "Các tổ chức chính trị-xã hội cùng cấp" of the district's 2.2: the district's organizations.
    orgs = district_plan.tasks.get(number="2.2").parties.get(role=PartyRole.COORDINATOR, relative_code="socio_political_orgs")
    assert {u.code for u in party_units([orgs])[orgs.pk]} == {f"094-{c}" for c in ("LDLD", "HND", "HLHPN", "DTN", "HCCB")}
