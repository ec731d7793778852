from django.urls import include, path
from rest_framework.routers import DefaultRouter

from mttq_platform.api.tokens import ApiTokenViewSet
from orgtree.api.me import MeView
from orgtree.api.views import OrgUnitViewSet
from plans.api.derivation import DerivationJobViewSet, PlanDerivePreviewViewSet
from plans.api.guidance import DispatchViewSet, InboxItemViewSet
from plans.api.views import PlanDocumentViewSet, TaskViewSet

router = DefaultRouter()
router.register("units", OrgUnitViewSet, basename="orgunit")
router.register("tokens", ApiTokenViewSet, basename="apitoken")
router.register("plans", PlanDocumentViewSet, basename="plandocument")
router.register("tasks", TaskViewSet, basename="task")
router.register("inbox", InboxItemViewSet, basename="inboxitem")
router.register("dispatches", DispatchViewSet, basename="dispatch")
router.register("derivation-jobs", DerivationJobViewSet, basename="derivationjob")
router.register("plans", PlanDerivePreviewViewSet, basename="plan-derivation")  # /plans/<uuid>/derive-preview/

app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
    path("", include("reviews.api.urls")),
    path("", include("inspections.api.urls")),
    path("", include("sync.api.urls")),
]
