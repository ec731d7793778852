"""Reports over the API: read them, record progress, indicators and evidence, and move them through
the approval (submit, accept, return, reopen, waive, unwaive).

Reads go through the one restriction (RestrictedViewSetMixin). Every write goes through
``reviews.services``: the object is first found through the *read* restriction (unknown or
invisible: 404), then the service decides whether this user may act on it (the report's own unit
edits and submits; the parent unit reviews). A refusal of the service (``ReviewError``) answers
400 with its Vietnamese and English messages, or 403 when it is a matter of rights.
"""
import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from mttq_platform.api.errors import error_body
from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet, RestrictedViewSetMixin
from orgtree.models import OrgUnit
from plans.filtersets import _visible_unit
from reviews.api.serializers import (
    ApprovalStepSerializer, EvidenceSerializer, ReportSummarySerializer, EvidenceUploadSerializer, IndicatorValueSerializer,
    OpenReportSerializer, ProgressWriteSerializer, ReportVersionSerializer, TaskProgressDetailSerializer,
    TaskProgressSerializer, UnitReportDetailSerializer, UnitReportSerializer,
)
from reviews.models import (
    ApprovalEvent, Evidence, IndicatorValue, ProgressStatus, ReportStatus, ReportVersion, TaskProgress, UnitReport,
)
from reviews.services import approval
from reviews.services.errors import ReviewError
from reviews.services.progress import attach_evidence, record_progress, remove_evidence, set_indicators, set_summary
from reviews.services.reports import open_report


class ReviewErrorsMixin:
    """A refusal of the reviews services as the platform's JSON error, with the service's own words."""

    def handle_exception(self, exc):
        if isinstance(exc, ReviewError):
            denied = exc.code == "permission_denied"
            status_code = status.HTTP_403_FORBIDDEN if denied else status.HTTP_400_BAD_REQUEST
            body = error_body(status_code, exc.code)
            body["error"].update(message=exc.message_vi, message_en=exc.message_en)
            return Response(body, status=status_code)
        return super().handle_exception(exc)


class WithinUnitFilterSet(django_filters.FilterSet):
    """``unit`` (one unit's rows) and ``within`` (a unit's subtree) by code, anchored through the
    restriction: an invisible code finds nothing."""

    unit_path = "unit"
    unit = django_filters.CharFilter(method="filter_unit", label=_("Đơn vị (mã)"))
    within = django_filters.CharFilter(method="filter_within", label=_("Trong cây con của đơn vị (mã)"))

    def filter_unit(self, queryset, name, value):
        anchor = _visible_unit(self.request, value)
        return queryset.filter(**{f"{self.unit_path}_id": anchor["id"]}) if anchor else queryset.none()

    def filter_within(self, queryset, name, value):
        anchor = _visible_unit(self.request, value)
        if anchor is None:
            return queryset.none()
        p = self.unit_path
        return queryset.filter(**{f"{p}__tree_id": anchor["tree_id"], f"{p}__lft__gte": anchor["lft"],
                                  f"{p}__lft__lte": anchor["rght"]})


class UnitReportFilterSet(WithinUnitFilterSet):
    year = django_filters.NumberFilter(label=_("Năm"))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, label=_("Trạng thái"))

    class Meta:
        model = UnitReport
        fields = ["unit", "within", "year", "status"]


class ProgressFilterSet(WithinUnitFilterSet):
    unit_path = "report__unit"
    year = django_filters.NumberFilter(field_name="report__year", label=_("Năm"))
    report = django_filters.UUIDFilter(field_name="report__uuid", label=_("Báo cáo (uuid)"))
    status = django_filters.ChoiceFilter(choices=ProgressStatus.choices, label=_("Tình trạng"))

    class Meta:
        model = TaskProgress
        fields = ["unit", "within", "year", "report", "status"]


class EvidenceFilterSet(WithinUnitFilterSet):
    unit_path = "progress__report__unit"
    progress = django_filters.NumberFilter(field_name="progress_id", label=_("Tiến độ (id)"))
    report = django_filters.UUIDFilter(field_name="progress__report__uuid", label=_("Báo cáo (uuid)"))

    class Meta:
        model = Evidence
        fields = ["unit", "within", "progress", "report"]


def readable_report(user, uuid) -> UnitReport:
    return get_object_or_404(UnitReport.objects.restrict(user).select_related("unit", "plan", "accepted_by"), uuid=uuid)


def approval_step(step, summary: str):
    """A POST action ``reports/<uuid>/<step>/`` {comment} calling ``approval.<step>``."""

    @extend_schema(request=ApprovalStepSerializer, responses={200: UnitReportSerializer, 400: OpenApiResponse(
        description="Refused by the approval rules (status, missing comment, children not ready)")}, summary=summary)
    def view(self, request, uuid=None):
        body = ApprovalStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = readable_report(request.user, uuid)
        step(report, user=request.user, comment=body.validated_data["comment"])
        return Response(UnitReportSerializer(readable_report(request.user, uuid), context=self.get_serializer_context()).data)

    view.__name__ = step.__name__
    return view


class UnitReportViewSet(ReviewErrorsMixin, RestrictedReadOnlyViewSet):
    """Yearly reports of units: the caller's subtree's. Detail carries progress rows (with their
    evidence), indicator values and the approval history."""

    queryset = UnitReport.objects.select_related("unit", "plan", "accepted_by").order_by("-year", "unit__tree_id", "unit__lft")
    filterset_class = UnitReportFilterSet
    lookup_field = "uuid"
    ordering_fields = ["year", "due_date", "submitted_at", "status"]

    def get_serializer_class(self):
        return UnitReportDetailSerializer if self.action == "retrieve" else UnitReportSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("progress", queryset=TaskProgress.objects.select_related("task", "updated_by").prefetch_related(
                    Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")))),
                Prefetch("indicator_values", queryset=IndicatorValue.objects.select_related("indicator")),
                Prefetch("events", queryset=ApprovalEvent.objects.select_related("actor", "actor_unit")),
            )
        return queryset

    @extend_schema(request=ReportSummarySerializer, responses=UnitReportSerializer)
    def partial_update(self, request, uuid=None):
        """PATCH {summary}: the report's summary of results (the report's own unit, while editable)."""
        body = ReportSummarySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        set_summary(readable_report(request.user, uuid), body.validated_data["summary"], user=request.user)
        return Response(UnitReportSerializer(readable_report(request.user, uuid), context=self.get_serializer_context()).data)

    submit = action(detail=True, methods=["post"])(approval_step(approval.submit, "Submit (the unit itself)"))
    accept = action(detail=True, methods=["post"])(approval_step(approval.accept, "Accept (the parent unit)"))
    return_report = action(detail=True, methods=["post"], url_path="return", url_name="return")(
        approval_step(approval.return_report, "Return with a comment (the parent unit)"))
    reopen = action(detail=True, methods=["post"])(approval_step(approval.reopen, "Reopen an accepted report (the parent unit)"))
    waive = action(detail=True, methods=["post"])(approval_step(approval.waive, "Waive a child's report (the parent unit)"))
    unwaive = action(detail=True, methods=["post"])(approval_step(approval.unwaive, "Withdraw a waiver (the parent unit)"))

    @extend_schema(request={"application/json": {"type": "object", "additionalProperties": {"type": "integer"}}},
                   responses=IndicatorValueSerializer(many=True))
    @action(detail=True, methods=["get", "put"], pagination_class=None, filter_backends=[])
    def indicators(self, request, uuid=None):
        """The year's indicator values; PUT {code: value, ...} sets some (the report's own unit, while editable)."""
        report = readable_report(request.user, uuid)
        if request.method == "PUT":
            if not isinstance(request.data, dict):
                raise exceptions.ValidationError(
                    {"indicators": ["Cần một bảng {mã chỉ tiêu: giá trị} / an object {code: value} is expected"]})
            set_indicators(report, dict(request.data), user=request.user)
        values = IndicatorValue.objects.restrict(request.user).filter(report=report).select_related("indicator")
        return Response(IndicatorValueSerializer(values, many=True).data)

    @extend_schema(responses=ReportVersionSerializer(many=True))
    @action(detail=True, pagination_class=None, filter_backends=[])
    def versions(self, request, uuid=None):
        """Every accepted version of the report, as it stood when accepted."""
        report = readable_report(request.user, uuid)
        versions = ReportVersion.objects.restrict(request.user).filter(report=report).select_related("accepted_by")
        return Response(ReportVersionSerializer(versions, many=True).data)

    @extend_schema(request=OpenReportSerializer, responses={201: UnitReportSerializer, 200: UnitReportSerializer})
    @action(detail=False, methods=["post"], url_path="open", filter_backends=[])
    def open(self, request):
        """Open the unit's report for a year (its progress rows from the issued plan); the existing one if open."""
        body = OpenReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = get_object_or_404(OrgUnit.objects.restrict(request.user, with_extra=False), code=body.validated_data["unit"])
        if not OrgUnit.objects.restrict(request.user, "change").filter(pk=unit.pk).exists():
            raise exceptions.PermissionDenied()
        year = body.validated_data["year"]
        existed = UnitReport.objects.filter(unit=unit, year=year).exists()
        report = open_report(unit, year)
        data = UnitReportSerializer(readable_report(request.user, report.uuid), context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class ProgressViewSet(ReviewErrorsMixin, RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """Progress rows (one task, one period). PATCH {status, percent, narrative, reason} records one;
    fields left out keep their value."""

    queryset = TaskProgress.objects.select_related("report", "task", "updated_by").order_by(
        "report", "due", "task__order", "period_key")
    filterset_class = ProgressFilterSet
    http_method_names = ["get", "patch", "head", "options"]

    def get_serializer_class(self):
        return TaskProgressDetailSerializer if self.action != "list" else TaskProgressSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.select_related("report__unit").prefetch_related(
                Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by")))
        return queryset

    def _readable(self, pk):
        return get_object_or_404(TaskProgress.objects.restrict(self.request.user), pk=pk)

    @extend_schema(request=ProgressWriteSerializer, responses=TaskProgressDetailSerializer)
    def partial_update(self, request, pk=None):
        body = ProgressWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = self._readable(pk)
        new_status = data.get("status", row.status)
        if "percent" in data:
            percent = data["percent"]
        else:
            percent = row.percent if new_status == row.status else None
        record_progress(row, user=request.user, status=new_status, percent=percent,
                        narrative=data.get("narrative", row.narrative), reason=data.get("reason", row.reason))
        fresh = TaskProgress.objects.restrict(request.user).select_related("report__unit", "task", "updated_by") \
            .prefetch_related("evidence__uploaded_by").get(pk=row.pk)
        return Response(TaskProgressDetailSerializer(fresh, context=self.get_serializer_context()).data)


class EvidenceViewSet(ReviewErrorsMixin, RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Evidence files of progress rows. POST multipart {progress, file, description} uploads one
    (type checked by content, size limited); the file itself is read through its ``download`` page."""

    queryset = Evidence.objects.select_related("progress__report__unit", "uploaded_by").order_by("-uploaded_at", "-id")
    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    lookup_field = "uuid"
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, parsers.JSONParser]

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceSerializer})
    def create(self, request, *args, **kwargs):
        body = EvidenceUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        row = get_object_or_404(TaskProgress.objects.restrict(request.user), pk=data["progress"])
        evidence = attach_evidence(row, data["file"], user=request.user, description=data["description"])
        fresh = self.queryset.restrict(request.user).get(pk=evidence.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        evidence = get_object_or_404(self.queryset.restrict(request.user), uuid=kwargs["uuid"])
        remove_evidence(evidence, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

