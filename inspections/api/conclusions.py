"""Findings, conclusions and recommendations over the API.

``inspection-conclusions/``: list, retrieve, PATCH (findings, internal notes, assessment) and
``<uuid>/conclude/`` POST (the conclusion with its recommendations). ``recommendations/``: list
(``?inspection=<uuid>``, ``?overdue=true``), retrieve, ``<id>/answers/`` POST (text and an optional
evidence ``file``, multipart), ``<id>/close/`` and ``<id>/reopen/`` POST.

Reading goes through ``restrict``; the team's findings and internal notes are left out for a
reader who may not see them yet (``rules.sees_internal``: the inspected side before the
conclusion). Writes read the row and let the services decide: a team member from another unit
writes findings on an inspection whose unit they may not "change".
"""
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from inspections.models import Inspection, Recommendation, RecommendationAnswer
from inspections.models.inspections import Assessment
from inspections.services import conclusions as conclusion_service, recommendations as recommendation_service, rules
from inspections.services.conclusions import RecommendationInput
from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from mttq_platform.permissions import READ
from orgtree.models import OrgUnit
from reviews.api.comments import invalid, refused
from reviews.services.errors import ReviewError

INTERNAL_FIELDS = ("findings", "internal_notes", "assessment", "assessment_text")


class InspectionConclusionSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    inspecting_unit = serializers.CharField(source="plan.unit.code", read_only=True)
    plan = serializers.UUIDField(source="plan.uuid", read_only=True)
    # Plain text: the inspection's status enum is documented once, by the inspections endpoint.
    status = serializers.CharField(read_only=True, help_text="scheduled, in_progress, concluded or cancelled")

    class Meta:
        model = Inspection
        fields = ["uuid", "plan", "inspecting_unit", "unit", "status", *INTERNAL_FIELDS, "conclusion_number",
                  "conclusion_symbol", "conclusion_date", "conclusion_text", "concluded_at"]

    def to_representation(self, inspection):
        data = super().to_representation(inspection)
        if not rules.sees_internal(self.context["request"].user, inspection):
            for name in INTERNAL_FIELDS:
                data.pop(name, None)
        return data


class FindingsSerializer(serializers.Serializer):
    findings = serializers.CharField(required=False, allow_blank=True)
    internal_notes = serializers.CharField(required=False, allow_blank=True)
    assessment = serializers.ChoiceField(choices=Assessment.choices, required=False, allow_blank=True)
    assessment_text = serializers.CharField(required=False, allow_blank=True)


class RecommendationInputSerializer(serializers.Serializer):
    text = serializers.CharField()
    responsible = serializers.CharField(required=False, allow_blank=True, default="")
    responsible_unit = serializers.CharField(required=False, allow_null=True, default=None, help_text="Unit code.")
    deadline = serializers.DateField()


class ConcludeSerializer(serializers.Serializer):
    conclusion_number = serializers.CharField(required=False, allow_blank=True, default="")
    conclusion_symbol = serializers.CharField(required=False, allow_blank=True, default="")
    conclusion_date = serializers.DateField()
    conclusion_text = serializers.CharField()
    recommendations = RecommendationInputSerializer(many=True, required=False, default=list)


class AnswerSerializer(serializers.ModelSerializer):
    answered_by = serializers.CharField(source="answered_by.username", read_only=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = RecommendationAnswer
        fields = ["id", "text", "has_file", "original_name", "content_type", "size", "answered_by", "answered_at",
                  "decision", "decision_note", "decided_by", "decided_at"]

    def get_has_file(self, answer) -> bool:
        return bool(answer.file)


class RecommendationSerializer(serializers.ModelSerializer):
    inspection = serializers.UUIDField(source="inspection.uuid", read_only=True)
    unit = serializers.CharField(source="inspection.unit.code", read_only=True)
    inspecting_unit = serializers.CharField(source="inspection.plan.unit.code", read_only=True)
    responsible_unit = serializers.CharField(source="responsible_unit.code", read_only=True, default=None)
    overdue = serializers.SerializerMethodField()
    answers = AnswerSerializer(many=True, read_only=True, source="visible_answers")

    class Meta:
        model = Recommendation
        fields = ["id", "inspection", "unit", "inspecting_unit", "number", "text", "responsible", "responsible_unit",
                  "deadline", "status", "overdue", "closed_at", "answers"]

    def get_overdue(self, recommendation) -> bool:
        return recommendation_service.is_overdue(recommendation, timezone.localdate())


class AnswerCreateSerializer(serializers.Serializer):
    text = serializers.CharField()
    file = serializers.FileField(required=False)


class RecommendationDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReadForWritesMixin:
    """Rows are looked up as the caller reads them, whatever the method: the services decide the
    writes (the team and the inspected side do not hold "change" on the rows they write)."""

    def get_queryset(self):
        return self.queryset.restrict(self.request.user, READ)


class ConclusionViewSet(ReadForWritesMixin, RestrictedReadOnlyViewSet):
    queryset = Inspection.objects.select_related("plan__unit", "unit", "team").order_by("pk")
    serializer_class = InspectionConclusionSerializer
    lookup_field = "uuid"
    filterset_fields = {"status": ["exact"], "unit__code": ["exact"], "plan__uuid": ["exact"]}

    def _answer(self, inspection, code=status.HTTP_200_OK):
        fresh = get_object_or_404(self.get_queryset(), pk=inspection.pk)
        return Response(InspectionConclusionSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=FindingsSerializer, responses=InspectionConclusionSerializer)
    def partial_update(self, request, uuid=None):
        """Findings, internal notes and the assessment (the team or the inspecting side; refused once concluded)."""
        inspection = self.get_object()
        body = FindingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            conclusion_service.record_findings(request.user, inspection, **body.validated_data)
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(inspection)

    @extend_schema(request=ConcludeSerializer, responses=InspectionConclusionSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, uuid=None):
        inspection = self.get_object()
        body = ConcludeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        codes = {row["responsible_unit"] for row in data["recommendations"] if row["responsible_unit"]}
        inspected = inspection.unit  # responsible units are of its subtree (the inspection is readable)
        units = {u.code: u for u in OrgUnit.objects.filter(
            code__in=codes, tree_id=inspected.tree_id, lft__gte=inspected.lft, lft__lte=inspected.rght)}
        if codes - set(units):
            missing = ", ".join(sorted(codes - set(units)))
            raise invalid("recommendations", f"Đơn vị chịu trách nhiệm phải thuộc {inspected.name}: {missing}.",
                          f"Responsible units must be of {inspected.name}: {missing}.")
        rows = [RecommendationInput(text=row["text"], responsible=row["responsible"], deadline=row["deadline"],
                                    responsible_unit=units.get(row["responsible_unit"]))
                for row in data["recommendations"]]
        try:
            conclusion_service.conclude(request.user, inspection, number=data["conclusion_number"],
                                        symbol=data["conclusion_symbol"], conclusion_date=data["conclusion_date"],
                                        text=data["conclusion_text"], recommendations=rows)
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(inspection)


class RecommendationViewSet(ReadForWritesMixin, RestrictedReadOnlyViewSet):
    queryset = Recommendation.objects.select_related(
        "inspection__plan__unit", "inspection__unit", "inspection__team", "responsible_unit").order_by("inspection", "number", "pk")
    serializer_class = RecommendationSerializer
    filterset_fields = {"status": ["exact"], "inspection__uuid": ["exact"]}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        recommendations = super().get_queryset().prefetch_related(Prefetch(
            "answers", queryset=RecommendationAnswer.objects.restrict(self.request.user)
            .select_related("answered_by", "decided_by"), to_attr="visible_answers"))
        params = self.request.query_params
        if params.get("inspection"):
            recommendations = recommendations.filter(inspection__uuid=params["inspection"])
        if params.get("overdue") in ("1", "true", "True"):
            recommendations = recommendations.filter(recommendation_service.overdue_q(timezone.localdate()))
        return recommendations

    def _answer(self, recommendation, code=status.HTTP_200_OK):
        fresh = get_object_or_404(self.get_queryset(), pk=recommendation.pk)
        return Response(RecommendationSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=AnswerCreateSerializer, responses={201: RecommendationSerializer})
    @action(detail=True, methods=["post"])
    def answers(self, request, pk=None):
        """The inspected (or responsible) unit reports what was done, with an optional evidence file."""
        recommendation = self.get_object()
        body = AnswerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            recommendation_service.answer(request.user, recommendation, body.validated_data["text"],
                                          body.validated_data.get("file"))
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(recommendation, status.HTTP_201_CREATED)

    @extend_schema(request=RecommendationDecisionSerializer, responses=RecommendationSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._decide(request, recommendation_service.close)

    @extend_schema(request=RecommendationDecisionSerializer, responses=RecommendationSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._decide(request, recommendation_service.reopen)

    def _decide(self, request, decide):
        recommendation = self.get_object()
        body = RecommendationDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            decide(request.user, recommendation, body.validated_data["note"])
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(recommendation)
