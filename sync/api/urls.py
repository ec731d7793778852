"""API routes of the sync app, included under /api/v1/ (namespace "api")."""
from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = [
    *router.urls,
]
