"""The logged-in user's notifications (reminders), under /u/<code>/reviews/notifications/.

A notification belongs to one person: the list shows the user's own rows only, whatever the unit
of the address (which only frames the page). Marking as read is a POST; with htmx the row is
answered alone.
"""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import ListView

from mttq_platform.tenancy import UnitViewMixin
from reviews.models import Notification


def own_notifications(user):
    return Notification.objects.filter(user=user).select_related("unit")


class NotificationListView(UnitViewMixin, ListView):
    template_name = "reviews/notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 50

    def get_queryset(self):
        notifications = own_notifications(self.request.user).order_by("-created_at", "-pk")
        if self.request.GET.get("unread"):
            notifications = notifications.filter(read_at__isnull=True)
        return notifications

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unread_only"] = bool(self.request.GET.get("unread"))
        context["unread"] = own_notifications(self.request.user).filter(read_at__isnull=True).count()
        return context


class NotificationReadView(UnitViewMixin, View):
    """Mark one notification read (``pk``) or all of them (no ``pk``)."""

    def post(self, request, *args, pk=None, **kwargs):
        unread = own_notifications(request.user).filter(read_at__isnull=True)
        if pk is not None:
            notification = own_notifications(request.user).filter(pk=pk).first()
            if notification is None:  # another person's: the same 404 as none
                raise Http404(str(pk))
            unread = unread.filter(pk=pk)
        unread.update(read_at=timezone.now())
        if pk is not None and request.headers.get("HX-Request"):
            notification.refresh_from_db()
            return render(request, "reviews/notifications/_row.html", {"notification": notification, "unit": self.unit})
        return redirect(reverse("notifications", args=[self.unit.code]))
