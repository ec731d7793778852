"""Sync pages (the status page), included under /sync/. Each area keeps its own module."""
from django.urls import include, path  # noqa: F401

urlpatterns = [
    path("", include("sync.urls.status")),
]
