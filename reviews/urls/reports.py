"""Report pages of a unit (under /u/<code>/reviews/): the year's report, its versions, the
parent's approval page and the dashboard."""
from django.urls import path

from reviews import views_dashboard, views_reports

urlpatterns = [
    path("", views_reports.CurrentYearView.as_view(), name="unit-report-current"),
    path("dashboard/block/", views_dashboard.DashboardBlockView.as_view(), name="unit-dashboard-block"),
    path("<int:year>/", views_reports.ReportView.as_view(), name="unit-report"),
    path("<int:year>/progress/<int:pk>/", views_reports.ProgressRowView.as_view(), name="unit-report-progress"),
    path("<int:year>/progress/<int:pk>/evidence/", views_reports.EvidenceUploadView.as_view(), name="unit-report-evidence"),
    path("<int:year>/progress/<int:pk>/evidence/<uuid:uuid>/remove/", views_reports.EvidenceRemoveView.as_view(),
         name="unit-report-evidence-remove"),
    path("<int:year>/indicators/", views_reports.IndicatorsView.as_view(), name="unit-report-indicators"),
    path("<int:year>/summary/", views_reports.SummaryView.as_view(), name="unit-report-summary"),
    path("<int:year>/submit/", views_reports.SubmitView.as_view(), name="unit-report-submit"),
    path("<int:year>/versions/<int:version>/", views_reports.ReportVersionView.as_view(), name="unit-report-version"),
    path("<int:year>/children/", views_reports.ChildrenView.as_view(), name="unit-report-children"),
    path("<int:year>/children/<str:child>/<slug:action>/", views_reports.ChildActionView.as_view(),
         name="unit-report-child-action"),
    path("<int:year>/dashboard/", views_dashboard.DashboardView.as_view(), name="unit-dashboard"),
]
