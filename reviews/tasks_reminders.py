"""The daily reminder job (Celery beat: ``reviews-send-reminders`` in CELERY_BEAT_SCHEDULE)."""
from __future__ import annotations

from datetime import date

from celery import shared_task

from reviews.reminders import send_reminders as send_all


@shared_task(name="reviews.send_reminders", acks_late=True)
def send_reminders(today: str | date | None = None) -> dict[str, int]:
    """Send the reminders due ``today`` (a date or ISO text; the local date when None, as beat runs
    it). Safe to run again or twice at once: each item and step is claimed before it is sent."""
    if isinstance(today, str):
        today = date.fromisoformat(today)
    return send_all(today)
