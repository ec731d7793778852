"""Derivation of a unit's plan from its parent's issued plan, one unit at a time and for a subtree
(plans.services.derivation). The province plan is tests/plans/factories.seed_like_plan."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mttq_platform.models import AuditLog
from orgtree.models import OrgUnit, UnitKind
from orgtree.services import add_member_organizations, create_unit
from plans.models import DerivationJob, DocumentStatus, LegalBasis, PartyKind, PartyRole, PlanDocument, Task, TaskParty
from plans.services.derivation import (
    DerivationError, default_rules, derive_plan, party_units, rule_decisions, run_subtree_job, start_subtree_derivation,
)
from tests.plans.factories import seed_like_plan, task_of

DISTRICT_BOARD = "Ban Thường trực Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ"


@pytest.fixture
def province_plan(tree):
    return seed_like_plan(tree["11"])


def rules_by_number(plan, rules):
    return {(t.number, t.bullet): rules[t.pk] for t in plan.tasks.all()}


def parties_of(task, role):
    return list(task.parties.filter(role=role).order_by("order"))


# -- default rules -----------------------------------------------------------------------------------
def test_default_rules_for_a_district(tree, province_plan):
    rules = rules_by_number(province_plan, default_rules(province_plan, tree["094"]))
    assert rules == {
        ("1.1", 0): "carry", ("2.1", 1): "carry", ("2.1", 2): "carry", ("2.2", 0): "carry", ("4.1", 0): "carry",
        # "BTT tỉnh" leads; "Ủy ban MTTQ các cấp" coordinates, so the district coordinates.
        ("3.1", 0): "coordinate",
        # The province's own task: nobody at the district level is named.
        ("3.4", 0): "omit",
    }
    reasons = {d.number: d.reason_en for d in rule_decisions(province_plan, tree["094"])}
    assert reasons["3.4"] == "Only a higher level's task" and reasons["3.1"] == "This unit coordinates at its level"


def test_default_rules_for_a_member_organization(tree, province_plan):
    """The Farmers' Association beside the province committee coordinates where "the socio-political
    organizations" of its level are named, and leaves out what does not name it."""
    rules = rules_by_number(province_plan, default_rules(province_plan, tree["11-HND"]))
    assert rules[("1.1", 0)] == "coordinate"  # CT-XH các cấp
    assert rules[("3.4", 0)] == "coordinate"  # CT-XH tỉnh, and it is at the province level
    assert rules[("2.1", 2)] == "omit"  # only bodies coordinate


# -- one unit --------------------------------------------------------------------------------------------
def test_district_derives_its_draft_from_the_province_plan(tree, province_plan):
    district = tree["094"]
    district_orgs = add_member_organizations(district)
    cadre = tree.user("dbp.cadre")

    plan = derive_plan(province_plan, district, actor=cadre)

    assert (plan.unit, plan.parent_plan, plan.status, plan.number) == (district, province_plan, DocumentStatus.DRAFT, "")
    assert plan.created_by == cadre and plan.title == province_plan.title
    assert "THÀNH PHỐ ĐIỆN BIÊN PHỦ" in plan.issuer_text
    # Every carried task links to its parent task, in the parent's order; 3.4 is left out.
    tasks = list(plan.tasks.order_by("order"))
    assert [(t.number, t.bullet) for t in tasks] == [
        ("1.1", 0), ("2.1", 1), ("2.1", 2), ("2.2", 0), ("3.1", 0), ("4.1", 0)]
    for task in tasks:
        assert task.parent_task.document == province_plan
        assert (task.parent_task.number, task.parent_task.bullet, task.parent_task.text) == (task.number, task.bullet, task.text)
        assert task.section.document == plan and task.section.number == task.parent_task.section.number
    assert task_of(plan, "3.1").carried_as == "coordinate" and task_of(plan, "1.1").carried_as == "carry"

    # "BTT các cấp" is the district's own committee.
    lead = parties_of(task_of(plan, "1.1"), PartyRole.LEAD)[0]
    assert (lead.kind, lead.unit, lead.text) == (PartyKind.UNIT, district, DISTRICT_BOARD)
    assert (lead.relative_code, lead.scope) == ("front_standing_board", "every_level")  # kept for the next level
    # "CT-XH cùng cấp" stands for the district's own organizations.
    coordinator = parties_of(task_of(plan, "2.2"), PartyRole.COORDINATOR)[0]
    assert coordinator.text == "Các tổ chức chính trị - xã hội thành phố Điện Biên Phủ"
    assert set(party_units([coordinator])[coordinator.pk]) == set(district_orgs)
    # "BTT tỉnh" stays the province's; Sở Tài chính stays a body; "Ủy ban MTTQ các cấp" is the district.
    leads_31 = parties_of(task_of(plan, "3.1"), PartyRole.LEAD)
    assert [(p.kind, p.unit_id) for p in leads_31] == [(PartyKind.UNIT, tree["11"].pk), (PartyKind.BODY, None)]
    assert leads_31[1].body.name == "Sở Tài Chính"
    coordinators_31 = parties_of(task_of(plan, "3.1"), PartyRole.COORDINATOR)
    province_orgs = OrgUnit.objects.filter(parent=tree["11"], kind__category=UnitKind.Category.MEMBER_ORGANIZATION)
    assert set(party_units(coordinators_31)[coordinators_31[0].pk]) == set(province_orgs)
    assert coordinators_31[1].unit == district
    # "(đối với cấp tỉnh)" is dropped below the province; "HĐND, UBND cùng cấp" stays as written.
    assert [(p.kind, p.text) for p in parties_of(task_of(plan, "2.1", 2), PartyRole.COORDINATOR)] == [
        (PartyKind.BODY, "HĐND, UBND cùng cấp")]

    # Sections and responsibilities copied; the parent plan added as the last legal basis.
    assert list(plan.sections.values_list("number", "parent__number")) == list(
        province_plan.sections.values_list("number", "parent__number"))
    assert plan.responsibilities.count() == province_plan.responsibilities.count()
    bases = list(plan.legal_bases.order_by("order"))
    assert [b.reference for b in bases] == ["18-CT/TW", "672/KH-MTTW-BTT", "95-KH/TU", "16/KH-MTTQ-BTT"]
    assert bases[-1].referenced_document == province_plan and "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Điện Biên" in bases[-1].text

    # Every created row is audited, attributed to the cadre and filed under the district.
    audited = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(Task), action="create",
                                      object_id__in=[str(t.pk) for t in tasks])
    assert audited.count() == len(tasks)
    assert {(e.actor_id, e.unit_id) for e in audited} == {(cadre.pk, district.pk)}
    assert audited.filter(object_id=str(tasks[0].pk)).get().after["parent_task_id"] == tasks[0].parent_task_id


def test_the_deriving_unit_overrides_the_rules(tree, province_plan):
    only_province, propaganda = task_of(province_plan, "3.4"), task_of(province_plan, "1.1")
    plan = derive_plan(province_plan, tree["094"], rules={only_province.pk: "carry", propaganda.pk: "omit"})
    assert plan.tasks.get(parent_task=only_province).carried_as == "carry"
    assert not plan.tasks.filter(parent_task=propaganda).exists()


def test_a_commune_derives_from_its_districts_issued_plan(tree, province_plan):
    district_plan = derive_plan(province_plan, tree["094"])
    PlanDocument.objects.filter(pk=district_plan.pk).update(status=DocumentStatus.ISSUED)
    commune = tree["03127"]

    plan = derive_plan(PlanDocument.objects.get(pk=district_plan.pk), commune)

    lead = parties_of(task_of(plan, "1.1"), PartyRole.LEAD)[0]
    assert (lead.unit, lead.text) == (commune, "Ban Thường trực Ủy ban MTTQ Việt Nam phường Him Lam")
    assert task_of(plan, "1.1").parent_task.parent_task == task_of(province_plan, "1.1")
    # 3.1 still names the province's board as lead and the commune as coordinator.
    assert [p.unit_id for p in task_of(plan, "3.1").parties.order_by("role", "order") if p.kind == PartyKind.UNIT] == [
        commune.pk, tree["11"].pk]


@pytest.mark.parametrize("case", ["draft parent", "not above", "rule"])
def test_derivation_refuses(tree, province_plan, case):
    if case == "draft parent":
        parent, unit, rules = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT, number="17"), tree["094"], None
    elif case == "not above":
        parent, unit, rules = province_plan, tree["001"], None  # Ba Đình is under Hà Nội
    else:
        parent, unit, rules = province_plan, tree["094"], {task_of(province_plan, "1.1").pk: "maybe"}
    with pytest.raises(DerivationError) as error:
        derive_plan(parent, unit, rules=rules)
    assert " / " in str(error.value)  # Vietnamese / English
    assert not PlanDocument.objects.filter(unit=unit).exists()


def test_deriving_twice_is_refused_with_the_existing_plan(tree, province_plan):
    first = derive_plan(province_plan, tree["094"])
    with pytest.raises(DerivationError) as error:
        derive_plan(province_plan, tree["094"])
    assert error.value.existing == first
    assert PlanDocument.objects.filter(unit=tree["094"]).count() == 1


# -- the subtree job -----------------------------------------------------------------------------------------
def committees_and_members(unit):
    return OrgUnit.objects.within(unit).filter(
        kind__category__in=[UnitKind.Category.FRONT_COMMITTEE, UnitKind.Category.MEMBER_ORGANIZATION])


def test_province_derives_for_its_whole_subtree(tree, province_plan):
    add_member_organizations(tree["094"])
    province = tree["11"]
    job = start_subtree_derivation(province_plan, province, tree.user("db.cadre"))

    job = run_subtree_job(job.pk)

    units = committees_and_members(province).exclude(pk=province.pk)
    assert (job.status, job.total, job.done, job.created_plans) == ("done", units.count(), units.count(), units.count())
    assert job.error == "" and job.finished_at is not None
    plans = {plan.unit.code: plan for plan in PlanDocument.objects.filter(parent_plan__isnull=False).select_related("unit")}
    assert set(plans) == set(units.values_list("code", flat=True))
    # Districts and the province's organizations from the province plan; communes and the
    # district's organizations from their district's draft.
    assert {code for code, plan in plans.items() if plan.parent_plan_id == province_plan.pk} == {
        "094", "095", "11-LDLD", "11-HND", "11-HLHPN", "11-DTN", "11-HCCB"}
    for commune, district in (("03124", "094"), ("03127", "094"), ("03151", "095"), ("094-HND", "094")):
        assert plans[commune].parent_plan == plans[district] and plans[commune].status == DocumentStatus.DRAFT
    commune_task = task_of(plans["03151"], "1.1")
    assert commune_task.parent_task.parent_task == task_of(province_plan, "1.1")
    assert parties_of(commune_task, PartyRole.LEAD)[0].unit == tree["03151"]
    # The district's Farmers' Association coordinates its committee's 2.2 ("CT-XH cùng cấp").
    assert task_of(plans["094-HND"], "2.2").carried_as == "coordinate"
    assert not plans["094-HND"].tasks.filter(number="2.1", bullet=2).exists()
    # Audited in bulk as the requesting user, source "job".
    entry = AuditLog.objects.get(content_type=ContentType.objects.get_for_model(PlanDocument),
                                 object_id=str(plans["03124"].pk))
    assert (entry.actor, entry.source, entry.unit_id) == (tree.user("db.cadre"), "job", tree["03124"].pk)


def test_running_the_job_twice_creates_nothing_twice(tree, province_plan):
    user = tree.user("db.cadre")
    first = run_subtree_job(start_subtree_derivation(province_plan, tree["11"], user).pk)
    counts = [model.objects.count() for model in (PlanDocument, Task, TaskParty, LegalBasis)]

    second = run_subtree_job(start_subtree_derivation(province_plan, tree["11"], user).pk)
    again = run_subtree_job(first.pk)  # a finished job is not run again

    assert second.status == "done" and second.done == second.total == first.total and second.created_plans == 0
    assert again.created_plans == first.created_plans
    assert [model.objects.count() for model in (PlanDocument, Task, TaskParty, LegalBasis)] == counts


def test_a_unit_already_derived_is_kept_and_its_children_derive_from_it(tree, province_plan):
    """A district that derived (and edited) its own plan before the province's job: the job keeps
    it and derives the district's communes from it."""
    own = derive_plan(province_plan, tree["094"])
    job = run_subtree_job(start_subtree_derivation(province_plan, tree["11"], tree.user("db.chair")).pk)
    assert job.status == "done" and job.created_plans == job.total - 1
    assert set(PlanDocument.objects.filter(parent_plan=own).values_list("unit__code", flat=True)) == {"03124", "03127"}


def add_district(tree, code: str, communes: int) -> OrgUnit:
    kinds = {k.code: k for k in UnitKind.objects.all()}
    district = create_unit(code=code, name=f"Ủy ban MTTQ Việt Nam huyện {code}", area_name=f"huyện {code}",
                           kind=kinds["district_committee"], parent=tree["11"])
    for number in range(communes):
        create_unit(code=f"{code}{number:02}", name=f"Ủy ban MTTQ Việt Nam xã {code}{number:02}",
                    area_name=f"xã {code}{number:02}", kind=kinds["commune_committee"], parent=district)
    return OrgUnit.objects.get(pk=district.pk)


def test_the_jobs_queries_do_not_grow_with_the_number_of_units(tree, province_plan):
    small, large = add_district(tree, "901", communes=1), add_district(tree, "902", communes=19)
    user = tree.user("db.chair")
    run_subtree_job(start_subtree_derivation(province_plan, tree["095"], user).pk)  # warms the content-type cache
    counts = {}
    for district in (small, large):
        job = start_subtree_derivation(province_plan, district, user)
        with CaptureQueriesContext(connection) as queries:
            job = run_subtree_job(job.pk)
        counts[job.total] = len(queries)
    # The writes are COPY statements (not in the query log): two per table per batch, a constant too.
    assert list(counts) == [2, 20]
    assert counts[2] == counts[20], counts


def test_a_failing_job_records_why_keeps_no_half_plan_and_completes_on_retry(tree, province_plan):
    """A real database refusal in the middle of the job (the communes' batch): the districts' plans
    stay, no commune has a plan or any part of one; once the cause is gone, running it again
    finishes the work."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending deferred checks
        cursor.execute("ALTER TABLE plans_plandocument ADD CONSTRAINT test_refuse_him_lam CHECK (unit_id <> %s)"
                       % int(tree["03127"].pk))
    job = start_subtree_derivation(province_plan, tree["11"], tree.user("db.chair"))

    job = run_subtree_job(job.pk)

    assert job.status == "failed" and job.finished_at is not None
    assert "Không tạo được kế hoạch cho 3 đơn vị cấp Cấp xã (từ 03124)" in job.error
    assert "could not derive the plans of 3 units at level Commune" in job.error and "test_refuse_him_lam" in job.error
    communes = OrgUnit.objects.filter(level__code="commune")
    assert not PlanDocument.objects.filter(unit__in=communes).exists()
    derived = PlanDocument.objects.filter(parent_plan__isnull=False)
    assert derived.count() == job.done == 7  # two districts and the province's five organizations
    assert not Task.objects.filter(document__unit__in=communes).exists()
    assert not TaskParty.objects.filter(document__unit__in=communes).exists()
    for plan in derived:  # the plans kept are whole
        assert (plan.sections.count(), plan.legal_bases.count()) == (7, 4) and plan.tasks.exists()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending deferred checks
        cursor.execute("ALTER TABLE plans_plandocument DROP CONSTRAINT test_refuse_him_lam")
    job = run_subtree_job(job.pk)

    assert (job.status, job.error, job.done, job.total) == ("done", "", 10, 10)
    assert PlanDocument.objects.filter(unit__in=communes).count() == 3
    assert PlanDocument.objects.filter(parent_plan__isnull=False).count() == 10


# -- who may start it ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("username, root, allowed", [
    ("db.cadre", "11", True),  # "add" on the province itself
    ("db.cadre", "094", False),  # a cadre does not manage the units below
    ("db.chair", "094", True),  # the province's chair manages: drafts for a district
    ("dbp.cadre", "094", True),  # the district's own cadre
    ("himlam.chair", "094", False),  # a commune cannot derive for its district
    ("hn.chair", "094", False),  # another province
])
def test_who_may_start_a_subtree_derivation(tree, province_plan, username, root, allowed):
    if allowed:
        job = start_subtree_derivation(province_plan, tree[root], tree.user(username))
        assert job.status == "queued" and job.requested_by == tree.user(username) and job.celery_task_id
        assert list(DerivationJob.objects.restrict(tree.user(username))) == [job]
    else:
        with pytest.raises(PermissionError):
            start_subtree_derivation(province_plan, tree[root], tree.user(username))
        assert not DerivationJob.objects.exists()


def test_the_source_plan_must_be_issued_and_above_the_root(tree, province_plan):
    draft = seed_like_plan(tree["11"], status=DocumentStatus.DRAFT, number="17")
    with pytest.raises(DerivationError, match="not issued"):
        start_subtree_derivation(draft, tree["094"], tree.user("db.chair"))
    hanoi_plan = seed_like_plan(tree["01"], number="5")
    with pytest.raises(PermissionError):  # not even visible to Điện Biên
        start_subtree_derivation(hanoi_plan, tree["094"], tree.user("db.chair"))
