from celery import shared_task
from django.utils.dateparse import parse_datetime

from inspections.services import access


@shared_task(name="inspections.close_access_windows")
def close_access_windows(now: str | None = None) -> int:
    """Beat: mark the team accesses whose window has closed revoked and delete their grants
    (``now``: an ISO datetime instead of the clock, for a frozen day)."""
    return access.close_access_windows(parse_datetime(now) if now else None)
