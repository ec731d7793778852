"""The summary across inspected units, under /u/<code>/inspections/summary/<year or year-year>/."""
from django.urls import re_path

from inspections import views_summary

PERIOD = r"(?P<period>\d{4}(?:-\d{4})?)"

urlpatterns = [
    re_path(rf"^summary/{PERIOD}/$", views_summary.SummaryView.as_view(), name="inspection-summary"),
    re_path(rf"^summary/{PERIOD}/tong-hop\.(?P<fmt>[a-z]+)$", views_summary.SummaryDownloadView.as_view(),
            name="inspection-summary-download"),
]
