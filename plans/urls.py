"""Plan pages of a unit, included under /u/<code>/plans/."""
from django.urls import path

from plans import derive_views, editor_views, inbox_views, views

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
    # derivation
    path("<uuid:uuid>/issue/", derive_views.PlanIssueView.as_view(), name="plan-issue"),
    path("derive/", derive_views.DeriveView.as_view(), name="plan-derive"),
    path("derive/subtree/", derive_views.SubtreeDeriveView.as_view(), name="plan-derive-subtree"),
    path("jobs/<uuid:uuid>/", derive_views.JobView.as_view(), name="derivation-job"),
    path("jobs/<uuid:uuid>/progress/", derive_views.JobView.as_view(partial=True), name="derivation-job-progress"),
    # editor and guidance
    path("<uuid:uuid>/edit/", editor_views.PlanEditorView.as_view(), name="plan-editor"),
    path("<uuid:uuid>/edit/tasks/new/", editor_views.TaskAddView.as_view(), name="plan-editor-task-add"),
    path("<uuid:uuid>/edit/sections/<int:section>/tasks/new/", editor_views.TaskAddView.as_view(), name="plan-editor-section-task-add"),
    path("<uuid:uuid>/edit/tasks/<slug:task>/", editor_views.TaskRowView.as_view(), name="plan-editor-task"),
    path("<uuid:uuid>/edit/tasks/<slug:task>/form/", editor_views.TaskFormView.as_view(), name="plan-editor-task-form"),
    path("<uuid:uuid>/edit/tasks/<slug:task>/delete/", editor_views.TaskDeleteView.as_view(), name="plan-editor-task-delete"),
    path("<uuid:uuid>/edit/tasks/<slug:task>/undo/", editor_views.TaskUndoView.as_view(), name="plan-editor-task-undo"),
    path("<uuid:uuid>/edit/amendment/", editor_views.AmendmentIssueView.as_view(), name="plan-amendment-issue"),
    path("<uuid:uuid>/edit/amendment/discard/", editor_views.AmendmentDiscardView.as_view(), name="plan-amendment-discard"),
    path("<uuid:uuid>/send/", editor_views.SendGuidanceView.as_view(), name="plan-send-guidance"),
]
