"""The summary across inspected units through the API:
``GET /api/v1/inspection-summary/?unit=<code>&year=<y>`` (``year`` may be a span, ``2023-2025``, or
add ``&until=<y>``); adding ``&format=xlsx|docx`` downloads the file the page offers.

The unit must be one the user (or token) acts for (``with_extra=False``: not a unit above theirs);
an invisible unit is the same 404 as an unknown one. The inspections go through the one restriction.
"""
from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from inspections import summary as summaries
from inspections.services.errors import InspectionError
from mttq_platform.api.errors import checked_query
from mttq_platform.api.viewsets import TokenAllowsMethod
from mttq_platform.permissions import READ
from orgtree.models import OrgUnit


class CountsSerializer(serializers.Serializer):
    not_compliant = serializers.IntegerField()
    partly = serializers.IntegerField()
    compliant = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    pending = serializers.IntegerField()
    total = serializers.IntegerField()
    compliance_rate = serializers.FloatField(allow_null=True, help_text="Compliant out of assessed applicable items, %")


class ItemSerializer(serializers.Serializer):
    group = serializers.CharField()
    text = serializers.CharField()
    counts = CountsSerializer()


class GroupSerializer(serializers.Serializer):
    group = serializers.CharField()
    counts = CountsSerializer()


class InspectionLineSerializer(serializers.Serializer):
    inspection = serializers.UUIDField(source="inspection.uuid")
    plan = serializers.UUIDField(source="inspection.plan.uuid")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    status = serializers.CharField(source="inspection.status")
    assessment = serializers.CharField(source="inspection.assessment")
    counts = CountsSerializer()
    recommendations = serializers.IntegerField()
    open_recommendations = serializers.IntegerField()
    overdue_recommendations = serializers.IntegerField()


class OpenRecommendationSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="recommendation.pk")
    inspection = serializers.UUIDField(source="recommendation.inspection.uuid")
    unit = serializers.CharField(source="unit.code")
    number = serializers.IntegerField(source="recommendation.number")
    text = serializers.CharField(source="recommendation.text")
    responsible = serializers.CharField(source="recommendation.responsible")
    deadline = serializers.DateField(source="recommendation.deadline")
    status = serializers.CharField(source="recommendation.status")
    overdue = serializers.BooleanField()


class SummarySerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    years = serializers.ListField(child=serializers.IntegerField())
    total = CountsSerializer()
    recommendations = serializers.IntegerField()
    open_recommendations_count = serializers.IntegerField(source="open_count")
    overdue_recommendations_count = serializers.IntegerField(source="overdue_count")
    items = ItemSerializer(many=True, help_text="Most often not compliant first")
    groups = GroupSerializer(many=True)
    open_recommendations = OpenRecommendationSerializer(many=True, help_text="Overdue first, then by deadline")
    inspections = InspectionLineSerializer(many=True, help_text="The comparison table")


def _invalid(field: str, message_vi: str, message_en: str):
    return exceptions.ValidationError({field: [message_vi, message_en]})


class InspectionSummaryView(APIView):
    permission_classes = [permissions.IsAuthenticated, TokenAllowsMethod]

    def perform_content_negotiation(self, request, force=False):
        # ``format`` names the file wanted, not how the answer is represented: summaries and errors are JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, required=True, description="The inspecting unit's code"),
            OpenApiParameter("year", str, required=True, description="A year (2025) or a span (2023-2025)"),
            OpenApiParameter("until", int, description="The last year of a span starting at year"),
            OpenApiParameter("format", str, enum=list(summaries.FORMATS), description="Omit for JSON; docx or xlsx downloads"),
        ],
        responses={
            200: OpenApiResponse(SummarySerializer, description="Without format: the summary. With format: the file (binary)."),
            (200, summaries.DOCX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, summaries.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        params = checked_query(request)
        try:
            years = summaries.parse_period(params.get("year", ""), params.get("until"))
        except InspectionError as error:
            raise _invalid("year", error.message_vi, error.message_en) from error
        unit = (
            OrgUnit.objects.restrict(request.user, READ, with_extra=False)
            .select_related("parent").filter(code=params.get("unit", "")).first()
        )
        if unit is None:
            raise exceptions.NotFound()
        fmt = params.get("format")
        if fmt and fmt not in summaries.FORMATS:
            raise _invalid("format", "Định dạng phải là docx hoặc xlsx.", "The format must be docx or xlsx.")
        summary = summaries.summarize(unit, years, user=request.user)
        if fmt:
            return HttpResponse(
                summaries.export(summary, fmt), content_type=summaries.FORMATS[fmt],
                headers={"Content-Disposition": content_disposition_header(True, summary.filename(fmt))},
            )
        return Response(SummarySerializer(summary).data)
