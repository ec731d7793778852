"""Derivation over the API: start the job that derives a subtree's draft plans, follow its status,
and preview the default rule of every task of a plan for a unit below it.

Reads go through the one restriction (a job is its root unit's object: readable in that unit's
subtree). A job is started by the service, which checks that the caller may derive for the unit
(``can_derive``); a read-only token is refused before anything is read (TokenAllowsMethod).
"""
import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from mttq_platform.api.errors import checked_query
from mttq_platform.api.viewsets import RestrictedViewSetMixin
from orgtree.models import OrgUnit
from plans.models import DerivationJob, DerivationRule, PlanDocument
from plans.services.derivation import DerivationError, rule_decisions, start_subtree_derivation


# The job's status choices under one name in the schema (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
JobStatus = DerivationJob.Status


class DerivationJobSerializer(serializers.ModelSerializer):
    plan = serializers.UUIDField(source="source_plan.uuid", read_only=True)
    unit = serializers.CharField(source="root_unit.code", read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = DerivationJob
        fields = ["uuid", "plan", "unit", "status", "total", "done", "percent", "created_plans", "error",
                  "created_at", "started_at", "finished_at"]
        read_only_fields = fields


class StartJobSerializer(serializers.Serializer):
    plan = serializers.UUIDField(help_text="The issued plan the derivation starts from.")
    unit = serializers.CharField(help_text="Code of the unit whose subtree gets draft plans (the plan's unit or one below it).")


class DerivationJobFilterSet(django_filters.FilterSet):
    unit = django_filters.CharFilter(field_name="root_unit__code", label="Root unit (code)")
    plan = django_filters.UUIDFilter(field_name="source_plan__uuid", label="Source plan (uuid)")
    status = django_filters.ChoiceFilter(choices=DerivationJob.Status.choices)

    class Meta:
        model = DerivationJob
        fields = ["unit", "plan", "status"]


def _visible(queryset, **lookup):
    """One object through the restriction, or the same 404 whether it is missing or invisible."""
    return get_object_or_404(queryset, **lookup)


def _refused(error: DerivationError) -> exceptions.ValidationError:
    return exceptions.ValidationError({"plan": [error.message_vi, error.message_en]})


class DerivationJobViewSet(RestrictedViewSetMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                           mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Jobs deriving the draft plans of a whole subtree. POST {"plan": uuid, "unit": code} starts
    one (201; the worker does the work); GET follows its status and progress."""

    queryset = DerivationJob.objects.select_related("source_plan", "root_unit").order_by("-created_at", "-id")
    serializer_class = DerivationJobSerializer
    filterset_class = DerivationJobFilterSet
    lookup_field = "uuid"
    ordering_fields = ["created_at"]
    # Reads go through the mixin's restriction; a job is written only by the service (create).

    @extend_schema(request=StartJobSerializer, responses={201: DerivationJobSerializer})
    def create(self, request, *args, **kwargs):
        body = StartJobSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user
        plan = _visible(PlanDocument.objects.restrict(user), uuid=body.validated_data["plan"])
        # A unit the caller acts for (their units and those below), as for pages.
        unit = _visible(OrgUnit.objects.restrict(user, with_extra=False), code=body.validated_data["unit"])
        try:
            job = start_subtree_derivation(plan, unit, user)
        except PermissionError as error:
            raise exceptions.PermissionDenied() from error
        except DerivationError as error:
            raise _refused(error) from error
        job = self.queryset.get(pk=job.pk)
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)


class RuleDecisionSerializer(serializers.Serializer):
    task_id = serializers.IntegerField()
    number = serializers.CharField()
    text = serializers.CharField()
    rule = serializers.ChoiceField(choices=DerivationRule.choices)
    reason_vi = serializers.CharField()
    reason_en = serializers.CharField()


class PlanDerivePreviewViewSet(viewsets.GenericViewSet):
    """``GET /plans/<uuid>/derive-preview/?unit=<code>``: how each task of an issued plan would be
    carried into the plan of a unit below it, with the reason (what the derive page shows)."""

    permission_classes = RestrictedViewSetMixin.permission_classes
    queryset = PlanDocument.objects.select_related("unit")
    lookup_field = "uuid"
    filter_backends = []
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("unit", str, required=True, description="Code of the deriving unit")],
                   responses=RuleDecisionSerializer(many=True))
    @action(detail=True, url_path="derive-preview")
    def derive_preview(self, request, uuid=None):
        plan = _visible(self.queryset.restrict(request.user), uuid=uuid)
        code = checked_query(request).get("unit")
        if not code:
            raise exceptions.ValidationError({"unit": ["Thiếu mã đơn vị / the unit code is required"]})
        unit = _visible(OrgUnit.objects.restrict(request.user, with_extra=False).select_related("kind"), code=code)
        if not plan.is_published:
            raise _refused(DerivationError("Kế hoạch chưa ban hành", "the plan is not issued"))
        if unit.pk == plan.unit_id or not unit.is_within(plan.unit):
            raise _refused(DerivationError(f"{unit.name} không thuộc cấp dưới của {plan.unit.name}",
                                           f"{unit.code} is not below {plan.unit.code}"))
        return Response(RuleDecisionSerializer(rule_decisions(plan, unit), many=True).data)
