"""The roll-up through the API: ``GET /api/v1/rollup/?unit=<code>&year=<year>[&accepted_only=1]``.

The unit goes through the one restriction: a unit the caller may act for (theirs and the units
below), not one above it — an ancestor's roll-up would show the caller's siblings. An invisible
unit is the same 404 as an unknown one. The answer costs the same queries for a commune as for the
root (reviews.rollup.reading): the unit, the cells, the children, levels, kinds, the indicator
catalogue.
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from mttq_platform.api.errors import checked_query
from mttq_platform.api.viewsets import TokenAllowsMethod
from mttq_platform.permissions import READ
from orgtree.models import OrgUnit
from reviews.models import Indicator
from reviews.rollup.reading import rollup

TRUE = {"1", "true", "yes", "on"}


class MeasuresSerializer(serializers.Serializer):
    tasks = serializers.IntegerField(help_text="Task-periods counted")
    done = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    not_done = serializers.IntegerField()
    not_started = serializers.IntegerField()
    points = serializers.IntegerField(help_text="Sum of 100 per done task-period and the percent of those in progress")
    completion = serializers.FloatField(allow_null=True, help_text="points / tasks, in percent")
    overdue = serializers.IntegerField(help_text="Task-periods past due (as of today) and not done")
    reports_expected = serializers.IntegerField()
    reports_submitted = serializers.IntegerField()
    reports_on_time = serializers.IntegerField()
    reports_accepted = serializers.IntegerField()
    reports_waived = serializers.IntegerField()
    submitted_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)
    accepted_rate = serializers.FloatField(allow_null=True)
    indicators = serializers.DictField(child=serializers.IntegerField(), help_text="Indicator code -> sum")


class ChildRowSerializer(serializers.Serializer):
    code = serializers.CharField(source="key")
    name = serializers.CharField(source="label")
    kind = serializers.CharField(source="unit.kind.code")
    level = serializers.CharField(source="unit.level.code")
    rollup = serializers.SerializerMethodField(help_text="URL of the child's roll-up (drill-down)")
    measures = MeasuresSerializer()

    def get_rollup(self, row) -> str:
        return self.context["child_url"](row.key)


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Level or kind code")
    label = serializers.CharField()
    label_en = serializers.CharField()
    measures = MeasuresSerializer()


class IndicatorTotalSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    group = serializers.CharField()
    measure_unit = serializers.CharField()
    total = serializers.IntegerField(help_text="Sum over the subtree")
    own = serializers.IntegerField(help_text="The unit's own report")


class UnitBriefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class RollupSerializer(serializers.Serializer):
    unit = UnitBriefSerializer()
    year = serializers.IntegerField()
    accepted_only = serializers.BooleanField(help_text="Tasks and indicators of accepted reports only (rates count every report)")
    today = serializers.DateField(help_text="The day overdue is reckoned from")
    total = MeasuresSerializer(help_text="The whole subtree, the unit included")
    own = MeasuresSerializer(help_text="The unit's own report")
    by_child = ChildRowSerializer(many=True)
    by_level = BreakdownRowSerializer(many=True)
    by_kind = BreakdownRowSerializer(many=True)
    indicators = IndicatorTotalSerializer(many=True)


def _invalid(field: str, message_vi: str, message_en: str):
    return exceptions.ValidationError({field: [message_vi, message_en]})


class RollupView(APIView):
    """Task completion, overdue task-periods, reporting rates and indicator sums of a unit's subtree
    for one year, with each child (drill-down), each level and each kind of unit."""

    permission_classes = [permissions.IsAuthenticated, TokenAllowsMethod]

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, required=True, description="Unit code"),
            OpenApiParameter("year", int, required=True, description="Report year (alias: period)"),
            OpenApiParameter("accepted_only", bool, description="Count tasks and indicators of accepted reports only"),
        ],
        responses=RollupSerializer,
        summary="Roll-up of a unit's subtree for a year",
    )
    def get(self, request):
        params = checked_query(request)
        try:
            year = int(params.get("year") or params.get("period") or "")
        except ValueError:
            raise _invalid("year", "Cần năm báo cáo (year), ví dụ 2025.", "A report year (year) is required, e.g. 2025.")
        if not 1900 <= year <= 2200:
            raise _invalid("year", "Năm báo cáo không hợp lệ.", "The report year is out of range.")
        code = params.get("unit")
        if not code:
            raise _invalid("unit", "Cần mã đơn vị (unit).", "A unit code (unit) is required.")
        unit = OrgUnit.objects.restrict(request.user, READ, with_extra=False).filter(code=code).first()
        if unit is None:
            raise exceptions.NotFound()
        accepted_only = params.get("accepted_only", "").lower() in TRUE
        today = timezone.localdate()
        result = rollup(unit, year, accepted_only=accepted_only, today=today)
        catalogue = Indicator.objects.filter(active=True) | Indicator.objects.filter(
            code__in=list(result.total.indicators))
        indicators = [
            {"code": i.code, "name": i.name, "name_en": i.name_en, "group": i.group, "measure_unit": i.measure_unit,
             "total": result.total.indicators.get(i.code, 0), "own": result.own.indicators.get(i.code, 0)}
            for i in catalogue.order_by("order", "code")
        ]
        base = request.build_absolute_uri(reverse("api:rollup"))
        extra = {"year": year, **({"accepted_only": 1} if accepted_only else {})}

        data = {
            "unit": unit, "year": year, "accepted_only": accepted_only, "today": today, "total": result.total,
            "own": result.own, "by_child": result.by_child, "by_level": result.by_level, "by_kind": result.by_kind,
            "indicators": indicators,
        }
        context = {"request": request, "child_url": lambda child_code: f"{base}?{urlencode({'unit': child_code, **extra})}"}
        return Response(RollupSerializer(data, context=context).data)
