"""orgtree.tasks.expire_object_grants run by a real Celery worker on the real broker.

The worker runs in a thread with its own database connection, so the test data must be committed:
a transactional database, not the usual rolled-back test transaction.
"""
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from guardian.shortcuts import assign_perm

from mttq_platform.models import AuditLog
from orgtree.models import OrgUnitUserObjectPermission
from orgtree.tasks import expire_object_grants


@pytest.mark.worker
def test_worker_deletes_expired_grants_and_audits_it(transactional_tree, celery_worker):
    tree = transactional_tree
    user = tree.user("hn.chair")
    expired = assign_perm("view_orgunit", user, tree["094"])
    expired.expires_at = timezone.now() - timedelta(minutes=1)
    expired.save()
    current = assign_perm("view_orgunit", user, tree["095"])
    current.expires_at = timezone.now() + timedelta(days=1)
    current.save()
    permanent = assign_perm("change_orgunit", user, tree["03151"])

    removed = expire_object_grants.delay().get(timeout=30)

    assert removed == 1
    assert set(OrgUnitUserObjectPermission.objects.values_list("pk", flat=True)) == {current.pk, permanent.pk}
    entry = AuditLog.objects.get(
        action="delete",
        content_type=ContentType.objects.get_for_model(OrgUnitUserObjectPermission),
        object_id=str(expired.pk),
    )
    assert entry.actor is None and entry.source == "job"
    assert entry.unit_id == tree["094"].pk
    assert entry.before["expires_at"] is not None
