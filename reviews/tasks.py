"""Background jobs of the reviews app."""
from celery import shared_task
from django.db import transaction

from reviews.models import UnitReport


@shared_task(name="reviews.rebuild_rollup", acks_late=True)
def rebuild_rollup(year: int | None = None) -> int:
    """Recompute a year's roll-up from the reports (every year when None). Safe to run again: it
    rewrites the cells from scratch. Returns the number of cells written."""
    from reviews.rollup.rebuild import rebuild

    return rebuild(year)


def schedule_rebuild_after_move(unit) -> None:
    """After a tree move (``mptt.signals.node_moved``): one rebuild per year that the moved subtree
    has reports for, queued once the move commits. Nothing is queued when it has none."""
    years = sorted(set(
        UnitReport.objects.filter(unit__tree_id=unit.tree_id, unit__lft__gte=unit.lft, unit__lft__lte=unit.rght)
        .values_list("year", flat=True).distinct()
    ))
    for year in years:
        transaction.on_commit(lambda year=year: rebuild_rollup.delay(year))
