"""API routes of the reviews app, included under /api/v1/ (namespace "api")."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from reviews.api.comments import CommentRoundViewSet, CommentViewSet
from reviews.api.documents import ReportDocumentView
from reviews.api.reports import EvidenceViewSet, ProgressViewSet, UnitReportViewSet
from reviews.api.rollup import RollupView

router = SimpleRouter()
router.register("reports", UnitReportViewSet, basename="unitreport")
router.register("progress", ProgressViewSet, basename="taskprogress")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("comment-rounds", CommentRoundViewSet, basename="commentround")
router.register("comments", CommentViewSet, basename="comment")

urlpatterns = [
    path("report-documents/", ReportDocumentView.as_view(), name="report-documents"),
    path("rollup/", RollupView.as_view(), name="rollup"),
    *router.urls,
]
