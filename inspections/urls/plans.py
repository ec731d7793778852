"""Inspection plans of a unit: /u/<code>/inspections/plans/..."""
from django.urls import path

from inspections import views_plans as views

urlpatterns = [
    path("plans/", views.PlanListView.as_view(), name="inspection-plan-list"),
    path("plans/new/", views.PlanCreateView.as_view(), name="inspection-plan-new"),
    path("plans/<uuid:uuid>/", views.PlanDetailView.as_view(), name="inspection-plan-detail"),
    path("plans/<uuid:uuid>/edit/", views.PlanEditView.as_view(), name="inspection-plan-edit"),
    path("plans/<uuid:uuid>/issue/", views.IssueView.as_view(), name="inspection-plan-issue"),
    path("plans/<uuid:uuid>/cancel/", views.CancelPlanView.as_view(), name="inspection-plan-cancel"),
    path("plans/<uuid:uuid>/export.docx", views.PlanDocxView.as_view(), name="inspection-plan-docx"),
    path("plans/<uuid:uuid>/inspections/", views.AddInspectionView.as_view(), name="inspection-plan-add-inspection"),
    path("plans/<uuid:uuid>/inspections/<uuid:inspection>/window/", views.WindowView.as_view(), name="inspection-window"),
    path("plans/<uuid:uuid>/inspections/<uuid:inspection>/team/", views.AssignTeamView.as_view(), name="inspection-assign-team"),
    path("plans/<uuid:uuid>/inspections/<uuid:inspection>/cancel/", views.CancelInspectionView.as_view(),
         name="inspection-cancel"),
    path("plans/<uuid:uuid>/teams/new/", views.TeamCreateView.as_view(), name="inspection-team-new"),
    path("plans/<uuid:uuid>/teams/<uuid:team>/members/", views.AddMemberView.as_view(), name="inspection-team-add-member"),
    path("plans/<uuid:uuid>/teams/<uuid:team>/members/<int:member>/remove/", views.RemoveMemberView.as_view(),
         name="inspection-team-remove-member"),
    path("plans/<uuid:uuid>/teams/<uuid:team>/decision.docx", views.TeamDecisionDocxView.as_view(),
         name="inspection-team-docx"),
]
