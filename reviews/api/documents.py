"""Report documents through the API: ``/api/v1/report-documents/?unit=<code>&year=<y>`` lists what
can be drafted; adding ``&kind=<kind>&format=docx|xlsx`` downloads one file.

The unit goes through the one restriction (a unit the user or token may read, not one above it);
an invisible unit is the same 404 as an unknown one.
"""
from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from mttq_platform.api.errors import checked_query
from mttq_platform.api.viewsets import TokenAllowsMethod
from mttq_platform.permissions import READ
from orgtree.models import OrgUnit
from reviews import documents
from reviews.services.errors import ReviewError


class ReportDocumentSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    years = serializers.ListField(child=serializers.IntegerField())
    docx = serializers.CharField(help_text="URL of the .docx")
    xlsx = serializers.CharField(help_text="URL of the .xlsx")


def _invalid(field: str, message_vi: str, message_en: str):
    return exceptions.ValidationError({field: [message_vi, message_en]})


class ReportDocumentView(APIView):
    permission_classes = [permissions.IsAuthenticated, TokenAllowsMethod]

    def perform_content_negotiation(self, request, force=False):
        # ``format`` names the file wanted, not how the answer is represented: lists and errors are JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, required=True, description="Unit code"),
            OpenApiParameter("year", int, required=True),
            OpenApiParameter("kind", str, enum=list(documents.KINDS), description="Omit to list the documents available"),
            OpenApiParameter("format", str, enum=list(documents.FORMATS), description="docx (default) or xlsx"),
        ],
        responses={
            200: OpenApiResponse(ReportDocumentSerializer(many=True),
                                 description="Without kind: the documents available. With kind: the file (binary)."),
            (200, documents.DOCX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (200, documents.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
    )
    def get(self, request):
        params = checked_query(request)
        try:
            year = int(params.get("year", ""))
        except ValueError:
            raise _invalid("year", "Cần năm báo cáo (year), ví dụ 2025.", "A report year (year) is required, e.g. 2025.")
        unit = (
            OrgUnit.objects.restrict(request.user, READ, with_extra=False)
            .select_related("parent").filter(code=params.get("unit", "")).first()
        )
        if unit is None:
            raise exceptions.NotFound()
        kind = params.get("kind")
        if not kind:
            return Response(self._available(request, unit, year))
        fmt = params.get("format") or "docx"
        if fmt not in documents.FORMATS:
            raise _invalid("format", "Định dạng phải là docx hoặc xlsx.", "The format must be docx or xlsx.")
        try:
            document = documents.draft(unit, year, kind)
        except ReviewError as error:
            raise _invalid("kind", error.message_vi, error.message_en) from error
        return HttpResponse(
            documents.export(document, fmt), content_type=documents.FORMATS[fmt],
            headers={"Content-Disposition": content_disposition_header(True, document.filename(fmt))},
        )

    def _available(self, request, unit, year) -> list[dict]:
        directive_year = documents.directive_year_of(unit)
        base = request.build_absolute_uri(reverse("api:report-documents"))
        return [
            {
                "kind": kind.code, "label": str(kind.label), "years": kind.years(year, directive_year),
                **{fmt: f"{base}?unit={unit.code}&year={year}&kind={kind.code}&format={fmt}" for fmt in documents.FORMATS},
            }
            for kind in documents.available_kinds(year, directive_year)
        ]
