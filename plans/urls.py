"""Plan pages of a unit, included under /u/<code>/plans/."""
from django.urls import path

from plans import inbox_views, views

urlpatterns = [
    path("", views.PlanListView.as_view(), name="plan-list"),
    path("import/", views.PlanImportView.as_view(), name="plan-import"),
    path("import/<slug:token>/", views.PlanImportPreviewView.as_view(), name="plan-import-preview"),
    path("<uuid:uuid>/", views.PlanDetailView.as_view(), name="plan-detail"),
    path("<uuid:uuid>/export.docx", views.PlanExportView.as_view(), name="plan-export"),
    path("inbox/", inbox_views.InboxView.as_view(), name="inbox"),
    path("inbox/<int:pk>/", inbox_views.InboxItemView.as_view(), name="inbox-item"),
    path("inbox/<int:pk>/act/", inbox_views.InboxActionView.as_view(), name="inbox-item-act"),
    path("dispatches/<int:pk>/", inbox_views.DispatchFollowUpView.as_view(), name="dispatch-follow-up"),
]
