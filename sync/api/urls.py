"""API routes of the sync app, included under /api/v1/ (namespace "api")."""
from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from sync.api.feed import FeedView, SnapshotView
from sync.api.inbox import InboxView
from sync.api.ping import PingView

router = SimpleRouter()

urlpatterns = [
    path("sync/ping/", PingView.as_view(), name="sync-ping"),
    path("sync/inbox/", InboxView.as_view(), name="sync-inbox"),
    path("sync/feed/", FeedView.as_view(), name="sync-feed"),
    re_path(r"^sync/snapshot/(?P<kind>plan|guidance|report|inspection|unit)/$", SnapshotView.as_view(), name="sync-snapshot"),
    *router.urls,
]
