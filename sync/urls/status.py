"""The status page of federation (/sync/status/)."""
from django.urls import path

from sync import views

urlpatterns = [
    path("status/", views.status_page, name="sync-status"),
    path("status/parked/<int:pk>/retry/", views.retry_parked, name="sync-retry-parked"),
]
