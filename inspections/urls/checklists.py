"""The checklist of one inspection, under /u/<code>/inspections/ (code: the inspecting or the
inspected unit; see inspections/views_checklists.py for why it is not resolved by membership)."""
from django.urls import path

from inspections import views_checklists as views

urlpatterns = [
    path("<uuid:uuid>/checklist/", views.ChecklistView.as_view(), name="inspection-checklist"),
    path("<uuid:uuid>/checklist/generate/", views.GenerateView.as_view(), name="inspection-checklist-generate"),
    path("<uuid:uuid>/checklist/items/<int:pk>/", views.ItemView.as_view(), name="inspection-checklist-item"),
    path("<uuid:uuid>/checklist/items/<int:pk>/evidence/", views.EvidenceUploadView.as_view(),
         name="inspection-checklist-evidence"),
    path("<uuid:uuid>/checklist/items/<int:pk>/evidence/<uuid:evidence>/remove/", views.EvidenceRemoveView.as_view(),
         name="inspection-checklist-evidence-remove"),
    path("<uuid:uuid>/checklist/evidence/<uuid:evidence>/", views.EvidenceDownloadView.as_view(),
         name="inspection-checklist-evidence-download"),
]
