from celery import shared_task
from django.utils import timezone

from mttq_platform.audit import acting_as
from orgtree.models import OrgUnitGroupObjectPermission, OrgUnitUserObjectPermission


@shared_task(name="orgtree.expire_object_grants")
def expire_object_grants() -> int:
    """Delete grants whose window has closed (they already stopped counting at expiry); each
    deletion is audited as the system."""
    now = timezone.now()
    removed = 0
    with acting_as(None, "job"):
        for model in (OrgUnitUserObjectPermission, OrgUnitGroupObjectPermission):
            for grant in model.objects.filter(expires_at__lte=now):
                grant.delete()
                removed += 1
    return removed
