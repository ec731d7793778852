"""Report documents of a unit, under /u/<code>/reviews/."""
from django.urls import path

from reviews import views_documents

urlpatterns = [
    path("<int:year>/documents/", views_documents.DocumentListView.as_view(), name="report-documents"),
    path("<int:year>/documents/<slug:kind>.<slug:fmt>", views_documents.DocumentDownloadView.as_view(),
         name="report-document-download"),
]
