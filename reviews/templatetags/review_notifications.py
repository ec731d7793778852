"""``{% unread_notification_count user as n %}``: the logged-in user's unread reminders (one query)."""
from django import template

from reviews.models import Notification

register = template.Library()


@register.simple_tag
def unread_notification_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
