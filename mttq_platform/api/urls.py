from django.urls import include, path
from rest_framework.routers import DefaultRouter

from orgtree.api.me import MeView
from orgtree.api.views import OrgUnitViewSet

router = DefaultRouter()
router.register("units", OrgUnitViewSet, basename="orgunit")

app_name = "api"
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
