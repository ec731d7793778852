"""API routes of the inspections app, included under /api/v1/ (namespace "api")."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from inspections.api.checklists import ChecklistItemViewSet
from inspections.api.conclusions import ConclusionViewSet, RecommendationViewSet
from inspections.api.plans import InspectionPlanViewSet, InspectionViewSet, TeamViewSet
from inspections.api.summary import InspectionSummaryView

router = SimpleRouter()
router.register("inspection-plans", InspectionPlanViewSet, basename="inspection-plan")
router.register("inspection-teams", TeamViewSet, basename="inspection-team")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("inspection-conclusions", ConclusionViewSet, basename="inspection-conclusion")
router.register("recommendations", RecommendationViewSet, basename="recommendation")
router.register("checklist-items", ChecklistItemViewSet, basename="checklist-item")

urlpatterns = [
    path("inspection-summary/", InspectionSummaryView.as_view(), name="inspection-summary"),
    *router.urls,
]
