"""plans.derive_subtree run by a real Celery worker on the real broker, as the web request starts it.

Transactional: the worker thread has its own database connection and must see committed rows.
"""
import pytest
from celery.result import AsyncResult

from mttq_platform.celery import app
from orgtree.models import OrgUnit
from plans.models import DerivationJob, PlanDocument
from plans.services.derivation import start_subtree_derivation
from tests.plans.factories import seed_like_plan


@pytest.mark.worker
def test_a_worker_derives_the_districts_subtree(transactional_tree, celery_worker):  # noqa: F811
    tree = transactional_tree
    province_plan = seed_like_plan(tree["11"])

    job = start_subtree_derivation(province_plan, tree["094"], tree.user("db.chair"))  # queued on commit
    outcome = AsyncResult(job.celery_task_id, app=app).get(timeout=60)

    job = DerivationJob.objects.get(pk=job.pk)
    assert outcome == {"status": "done", "done": 3, "total": 3, "created_plans": 3}
    assert (job.status, job.done, job.total) == ("done", 3, 3)
    district_plan = PlanDocument.objects.get(unit=tree["094"], parent_plan=province_plan)
    assert set(PlanDocument.objects.filter(parent_plan=district_plan).values_list("unit__code", flat=True)) == {
        "03124", "03127"}
    assert not PlanDocument.objects.filter(unit__in=OrgUnit.objects.filter(code__in=["095", "03151"])).exists()
