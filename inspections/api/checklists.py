"""Checklist items over the API: list (``?inspection=<uuid>``), retrieve, PATCH {result, note,
version}, ``generate`` and evidence upload.

Rows are read through the one restriction (as the caller reads them, whatever the method: a team
member from another unit holds no "change" on the inspecting unit); every write goes through
``inspections.services.checklists``, which asks ``rules.can_fill_checklist``. A PATCH carries the
version it read: a stale one answers 409 with both messages and the item as saved now. The team's
result, note and files are shown to the inspected side only once the conclusion is issued
(``rules.sees_internal``).
"""
from __future__ import annotations

import uuid

from django.db.models import Prefetch
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from inspections.api.conclusions import ReadForWritesMixin
from inspections.models import ChecklistEvidence, ChecklistItem, ChecklistResult, Inspection
from inspections.services import checklists as checklist_service, rules
from mttq_platform.api.errors import error_body
from mttq_platform.api.viewsets import RestrictedViewSetMixin
from reviews.api.reports import ReviewErrorsMixin


def _inspection_view(context: dict, inspection: Inspection) -> tuple[bool, str]:
    """(sees the team's work, the unit code its files are downloaded under), once per inspection."""
    cache = context.setdefault("_inspection_views", {})
    if inspection.pk not in cache:
        user = context["request"].user
        internal = rules.sees_internal(user, inspection)
        inside = rules.is_team_member(user, inspection) or rules.is_inspecting_side(user, inspection)
        cache[inspection.pk] = (internal, inspection.plan.unit.code if inside else inspection.unit.code)
    return cache[inspection.pk]


class ChecklistEvidenceSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistEvidence
        fields = ["uuid", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]

    def get_download_url(self, evidence) -> str:
        inspection = self.context["inspection"]
        _internal, code = _inspection_view(self.context, inspection)
        return reverse("inspection-checklist-evidence-download",
                       kwargs={"code": code, "uuid": inspection.uuid, "evidence": evidence.uuid})


class ChecklistItemSerializer(serializers.ModelSerializer):
    inspection = serializers.UUIDField(source="inspection.uuid", read_only=True)
    task = serializers.UUIDField(source="task.uuid", read_only=True, default=None)
    updated_by = serializers.CharField(source="updated_by.username", read_only=True, default=None)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistItem
        fields = ["id", "inspection", "order", "source", "group", "text", "reported", "task", "result", "note",
                  "version", "updated_by", "updated_at", "evidence"]

    def get_evidence(self, item) -> list:
        context = {**self.context, "inspection": item.inspection}
        return ChecklistEvidenceSerializer(item.evidence.all(), many=True, context=context).data

    def to_representation(self, item):
        internal, _code = _inspection_view(self.context, item.inspection)
        data = super().to_representation(item)
        if not internal:  # the inspected side, before the conclusion
            data.update(result=None, note=None, updated_by=None, evidence=[])
        return data


class ChecklistResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=ChecklistResult.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=checklist_service.NOTE_MAX)
    version = serializers.IntegerField(min_value=1)


class ChecklistGenerateSerializer(serializers.Serializer):
    inspection = serializers.UUIDField()


class ChecklistGeneratedSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    kept = serializers.IntegerField()
    plan = serializers.UUIDField(allow_null=True)
    template = serializers.CharField(allow_null=True)


class ChecklistEvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class ChecklistItemViewSet(ReviewErrorsMixin, ReadForWritesMixin, RestrictedViewSetMixin, mixins.ListModelMixin,
                           mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ChecklistItem.objects.select_related(
        "inspection__plan__unit", "inspection__unit", "inspection__team", "task", "updated_by",
    ).order_by("inspection", "order", "pk")
    serializer_class = ChecklistItemSerializer
    filterset_fields = {"source": ["exact"], "result": ["exact"]}
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        items = super().get_queryset().prefetch_related(Prefetch(
            "evidence", queryset=ChecklistEvidence.objects.restrict(self.request.user).select_related("uploaded_by")))
        inspection = self.request.query_params.get("inspection")
        if inspection:
            try:
                items = items.filter(inspection__uuid=uuid.UUID(inspection))
            except ValueError:  # not a uuid: nothing matches
                items = items.none()
        return items

    def handle_exception(self, exc):
        if isinstance(exc, checklist_service.StaleChecklistItem):
            body = error_body(status.HTTP_409_CONFLICT, exc.code)
            body["error"].update(message=exc.message_vi, message_en=exc.message_en, submitted=exc.submitted)
            fresh = get_object_or_404(self.get_queryset(), pk=exc.current.pk)
            body["error"]["current"] = self.get_serializer(fresh).data
            return Response(body, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)

    def _answer(self, item, code=status.HTTP_200_OK):
        return Response(self.get_serializer(get_object_or_404(self.get_queryset(), pk=item.pk)).data, status=code)

    @extend_schema(parameters=[OpenApiParameter("inspection", str, description="uuid of the inspection")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ChecklistResultSerializer, responses={
        200: ChecklistItemSerializer,
        409: OpenApiResponse(description="Stale version: changed by someone else; the body carries the current item")})
    def partial_update(self, request, pk=None):
        """Record the result and note, naming the version read (the team or the inspecting unit's staff)."""
        item = self.get_object()
        body = ChecklistResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        checklist_service.record_result(item, user=request.user, result=data["result"], note=data["note"],
                                        version=data["version"])
        return self._answer(item)

    @extend_schema(request=ChecklistGenerateSerializer, responses=ChecklistGeneratedSerializer)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def generate(self, request):
        """Generate an inspection's checklist, or add what it is missing (what was recorded is kept)."""
        body = ChecklistGenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        inspection = get_object_or_404(Inspection.objects.restrict(request.user), uuid=body.validated_data["inspection"])
        generated = checklist_service.generate_checklist(inspection, user=request.user)
        return Response(ChecklistGeneratedSerializer({
            "added": generated.added, "kept": generated.kept,
            "plan": generated.plan.uuid if generated.plan else None,
            "template": generated.template.code if generated.template else None,
        }).data, status=status.HTTP_201_CREATED if generated.added else status.HTTP_200_OK)

    @extend_schema(request={"multipart/form-data": ChecklistEvidenceUploadSerializer}, responses={201: ChecklistItemSerializer})
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """Attach an evidence file (type checked by content, size limited); answers the item."""
        item = self.get_object()
        body = ChecklistEvidenceUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        checklist_service.attach_checklist_evidence(item, body.validated_data["file"], user=request.user)
        return self._answer(item, status.HTTP_201_CREATED)
