"""Inspection pages of a unit, included under /u/<code>/inspections/. Each area keeps its own module."""
from django.urls import include, path  # noqa: F401

urlpatterns = [
]
