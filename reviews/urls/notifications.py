"""Notifications of the logged-in user, under /u/<code>/reviews/."""
from django.urls import path

from reviews import views_notifications

urlpatterns = [
    path("notifications/", views_notifications.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", views_notifications.NotificationReadView.as_view(), name="notifications-read-all"),
    path("notifications/<int:pk>/read/", views_notifications.NotificationReadView.as_view(), name="notification-read"),
]
