"""Signal receivers of the reviews app (connected in ReviewsConfig.ready)."""
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from mptt.signals import node_moved

from orgtree.models import OrgUnit
from reviews.models import UnitReport
from reviews.signals import report_data_changed


@receiver(report_data_changed, dispatch_uid="reviews.rollup.apply_report_changes")
def update_rollup(sender, report_ids, **kwargs):
    """The roll-up cells follow every change of what a report contributes, in the same transaction."""
    from reviews.rollup.engine import apply_report_changes

    apply_report_changes(report_ids)


@receiver(pre_delete, sender=UnitReport, dispatch_uid="reviews.rollup.withdraw_deleted_report")
def withdraw_deleted_report(sender, instance, **kwargs):
    """A deleted report takes its contribution out of the cells above it (its rows cascade)."""
    from reviews.rollup.engine import apply_report_changes

    apply_report_changes([instance.pk], withdraw=True)


@receiver(node_moved, sender=OrgUnit, dispatch_uid="reviews.rollup.rebuild_after_move")
def rebuild_rollup_after_move(sender, instance, **kwargs):
    """A moved unit's contributions still sit in its old ancestors' cells: rebuild the years with
    reports in the background once the move is committed."""
    from reviews.tasks import schedule_rebuild_after_move

    schedule_rebuild_after_move(instance)
