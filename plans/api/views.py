from django.db.models import Prefetch

from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from plans.api.serializers import PlanDocumentDetailSerializer, PlanDocumentSerializer, TaskSerializer
from plans.filtersets import PlanDocumentFilterSet, TaskFilterSet
from plans.models import PlanDocument, Task, TaskParty

_PARTIES = Prefetch("parties", queryset=TaskParty.objects.select_related("unit", "body", "level_limit").order_by("role", "order"))


class PlanDocumentViewSet(RestrictedReadOnlyViewSet):
    """Plans and guidance the caller may read: their subtree's, and the published documents of the
    units above them. Drafts of other units stay with their units."""

    queryset = PlanDocument.objects.select_related("unit", "parent_plan").order_by("-date", "-created_at", "-id")
    filterset_class = PlanDocumentFilterSet
    lookup_field = "uuid"
    ordering_fields = ["date", "created_at", "number"]

    def get_serializer_class(self):
        return PlanDocumentDetailSerializer if self.action == "retrieve" else PlanDocumentSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "legal_bases__referenced_document",
                "sections__parent",
                "responsibilities",
                Prefetch("tasks", queryset=Task.objects.select_related("section", "parent_task", "document").prefetch_related(_PARTIES)),
            )
        return queryset


class TaskViewSet(RestrictedReadOnlyViewSet):
    queryset = Task.objects.select_related("document", "section", "parent_task").prefetch_related(_PARTIES).order_by("document", "order")
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    lookup_field = "uuid"
    search_fields = ["text", "number"]
