"""Inspection pages of a unit, included under /u/<code>/inspections/. Each area keeps its own module."""
from django.urls import include, path  # noqa: F401

urlpatterns = [
    path("", include("inspections.urls.plans")),
    path("", include("inspections.urls.summary")),
    path("", include("inspections.urls.conclusions")),
    path("", include("inspections.urls.checklists")),
]
