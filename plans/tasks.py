from celery import shared_task

from plans.services.derivation import run_subtree_job


@shared_task(name="plans.derive_subtree", acks_late=True)
def derive_subtree(job_id: int) -> dict:
    """Derive the draft plans of a DerivationJob's subtree. Safe to run again (a redelivered
    message, a retry after a failure): units that have their plan are skipped. The job row holds
    the outcome; a failure is recorded there, not raised."""
    job = run_subtree_job(job_id)
    return {"status": job.status, "done": job.done, "total": job.total, "created_plans": job.created_plans}
