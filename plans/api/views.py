from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from mttq_platform.permissions import can
from orgtree.models import Level, OrgUnit, UnitKind
from plans.api.guidance import DispatchSerializer
from plans.api.serializers import PlanDocumentDetailSerializer, PlanDocumentSerializer, TaskSerializer
from plans.filtersets import PlanDocumentFilterSet, TaskFilterSet
from plans.models import PlanDocument, Task, TaskParty
from plans.services import guidance
from plans.services.importing import PlanImportError, import_plan_file

_PARTIES = Prefetch("parties", queryset=TaskParty.objects.select_related("unit", "body", "level_limit").order_by("role", "order"))


class PlanImportSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="Code of the unit that issues the plan.")
    file = serializers.FileField(help_text="The plan as .txt or .docx (Decree 30 layout).")


class SendSerializer(serializers.Serializer):
    levels = serializers.SlugRelatedField(slug_field="code", queryset=Level.objects.all(), many=True, required=False)
    kinds = serializers.SlugRelatedField(slug_field="code", queryset=UnitKind.objects.all(), many=True, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PlanActionsMixin:
    """Writes on plans, each through the service that checks the caller's action on the unit."""

    def _readable_plan(self, uuid) -> PlanDocument:
        return get_object_or_404(PlanDocument.objects.restrict(self.request.user).select_related("unit"), uuid=uuid)

    @extend_schema(request={"multipart/form-data": PlanImportSerializer}, responses={201: PlanDocumentDetailSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[parsers.MultiPartParser])
    def import_file(self, request):
        """Read a real plan (.txt or .docx) into a draft of the unit: the structure the parser finds,
        nothing half-saved when the file is bad."""
        body = PlanImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = get_object_or_404(OrgUnit.objects.restrict(request.user, with_extra=False), code=body.validated_data["unit"])
        if not can(request.user, "add", unit):
            raise exceptions.PermissionDenied()
        upload = body.validated_data["file"]
        try:
            with transaction.atomic():
                plan = import_plan_file(upload, unit, actor=request.user, source_name=upload.name)
        except PlanImportError as error:
            raise exceptions.ValidationError({"file": [str(error), error.detail] if error.detail else [str(error)]})
        return Response(PlanDocumentDetailSerializer(self._readable_plan(plan.uuid), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=PlanDocumentSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, uuid=None):
        """Issue a draft (the unit's managers): it becomes version 1, readable by every unit below."""
        plan = guidance.issue(self._readable_plan(uuid), request.user)
        return Response(PlanDocumentSerializer(plan, context={"request": request}).data)

    @extend_schema(request=SendSerializer, responses={201: DispatchSerializer})
    @action(detail=True, methods=["post"])
    def send(self, request, uuid=None):
        """Send an issued guidance or plan down the subtree, or to the chosen levels and kinds."""
        body = SendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dispatch = guidance.send_guidance(
            self._readable_plan(uuid), request.user, levels=data.get("levels", []), kinds=data.get("kinds", []),
            due_date=data.get("due_date"), note=data.get("note", ""),
        )
        return Response(DispatchSerializer(dispatch).data, status=status.HTTP_201_CREATED)


class PlanDocumentViewSet(PlanActionsMixin, RestrictedReadOnlyViewSet):
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
