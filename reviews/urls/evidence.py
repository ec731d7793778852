"""Evidence downloads of a unit, under /u/<code>/reviews/."""
from django.urls import path

from reviews import views_evidence

urlpatterns = [
    path("evidence/<uuid:uuid>/", views_evidence.EvidenceDownloadView.as_view(), name="evidence-download"),
]
