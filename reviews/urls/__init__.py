"""Review pages of a unit, included under /u/<code>/reviews/. Each area keeps its own module."""
from django.urls import include, path

urlpatterns = [
    path("", include("reviews.urls.evidence")),
    path("", include("reviews.urls.documents")),
    path("", include("reviews.urls.notifications")),
    path("", include("reviews.urls.comments")),
    path("", include("reviews.urls.reports")),
]
