"""The plans of the Điện Biên demo: the real seed plan as the province's ISSUED plan, and the drafts
derived from it for district 094 (thành phố Điện Biên Phủ) and everything below it, so that the
demo shows derivation at once. Loaded after the tree (``load_demo``) by ``load_demo_plans``:
orgtree knows nothing of plans, so the plans app loads its own part.

Idempotent: a second run finds the plan (by unit, number and symbol) and the finished job, and
writes nothing.

The seed (fixtures/seeds/000_bc0227de9fac2d55.txt) is the body of the plan without its header: its
number and symbol are set here as "16/KH-MTTQ-BTT" (the number the project's domain notes give
it; the seed itself does not carry it), the issuer as the province's standing board, and the date is left
blank because the seed does not say it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from mttq_platform.audit import acting_as
from orgtree.management.demo import DEMO_PROVINCE
from orgtree.models import OrgUnit
from plans.models import DerivationJob, DocumentStatus, PlanDocument
from plans.services.derivation import run_subtree_job
from plans.services.guidance import issue
from plans.services.importing import import_plan_file

SEED_PLAN = Path(settings.BASE_DIR) / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
DEMO_NUMBER, DEMO_SYMBOL = "16", "KH-MTTQ-BTT"
DEMO_HEADER = {
    "number": DEMO_NUMBER,
    "symbol": DEMO_SYMBOL,
    "place": "Điện Biên",
    "issuer_text": "ỦY BAN MTTQ VIỆT NAM TỈNH ĐIỆN BIÊN\nBAN THƯỜNG TRỰC",
}
DEMO_DISTRICT = "094"  # thành phố Điện Biên Phủ


class DemoTreeMissing(Exception):
    pass


@dataclass(frozen=True)
class PlanDemoSummary:
    plan: PlanDocument
    plan_created: bool
    plan_issued: bool
    drafts_created: int
    job: DerivationJob


def load_plan_demo() -> PlanDemoSummary:
    units = OrgUnit.objects.in_bulk([DEMO_PROVINCE, DEMO_DISTRICT], field_name="code")
    if len(units) < 2:
        raise DemoTreeMissing("Chưa có cây đơn vị mẫu: chạy `manage.py load_demo` trước / "
                              "no demo tree: run `manage.py load_demo` first")
    province, district = units[DEMO_PROVINCE], units[DEMO_DISTRICT]
    with acting_as(None, "demo"):
        plan, created = _province_plan(province)
        issued = plan.status == DocumentStatus.DRAFT
        if issued:
            plan = issue(plan)  # no actor: the demo acts as the system
        job, drafts = _district_drafts(plan, district)
    return PlanDemoSummary(plan, created, issued, drafts, job)


def _province_plan(province: OrgUnit) -> tuple[PlanDocument, bool]:
    plan = PlanDocument.objects.filter(unit=province, number=DEMO_NUMBER, symbol=DEMO_SYMBOL).first()
    if plan is not None:
        return plan, False
    with transaction.atomic():
        plan = import_plan_file(SEED_PLAN, province, source_name=SEED_PLAN.name)
        for field, value in DEMO_HEADER.items():
            setattr(plan, field, value)
        plan.save()
    return plan, True


def _district_drafts(plan: PlanDocument, district: OrgUnit) -> tuple[DerivationJob, int]:
    """The derivation job of the district's subtree, run here (no worker needed for the demo)."""
    job = DerivationJob.objects.filter(source_plan=plan, root_unit=district).first()
    if job is not None and job.status == DerivationJob.Status.DONE:
        return job, 0
    if job is None:
        job = DerivationJob.objects.create(source_plan=plan, root_unit=district)
    job = run_subtree_job(job.pk)  # a job that failed before completes what is missing
    if job.status != DerivationJob.Status.DONE:
        raise RuntimeError(job.error)
    return job, job.created_plans
