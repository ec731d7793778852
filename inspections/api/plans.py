"""Inspection plans, teams and inspections over the API.

``inspection-plans/``: list (``?unit__code=``, ``?year=``, ``?status=``), retrieve, create (a draft
of a unit the caller may change, with its inspected units and their windows), ``<uuid>/issue/`` and
``<uuid>/cancel/`` POST. ``inspection-teams/``: list (``?plan__uuid=``), retrieve, create (by
decision, with its members: users by username, or outside experts). ``inspections/``: list
(``?plan__uuid=``, ``?unit__code=``, ``?status=``), retrieve, ``<uuid>/team/``, ``<uuid>/window/``
and ``<uuid>/cancel/`` POST. Reading goes through ``restrict``; every write through
``inspections.services.plans``, which decides who may.
"""
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from inspections.api.conclusions import ReadForWritesMixin
from inspections.models import Inspection, InspectionPlan, Team, TeamMember, TeamRole
from inspections.services import plans as service
from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from orgtree.models import OrgUnit
from reviews.api.comments import invalid, refused
from reviews.services.errors import ReviewError


class InspectionSerializer(serializers.ModelSerializer):
    plan = serializers.UUIDField(source="plan.uuid", read_only=True)
    inspecting_unit = serializers.CharField(source="plan.unit.code", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    team = serializers.UUIDField(source="team.uuid", read_only=True, default=None)

    class Meta:
        model = Inspection
        fields = ["uuid", "plan", "inspecting_unit", "unit", "unit_name", "team", "window_start", "window_end", "status"]


class TeamMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True, default=None)
    from_unit = serializers.CharField(source="from_unit.code", read_only=True, default=None)

    class Meta:
        model = TeamMember
        fields = ["id", "name", "title", "organization", "from_unit", "role", "order", "username"]


class TeamSerializer(serializers.ModelSerializer):
    plan = serializers.UUIDField(source="plan.uuid", read_only=True)
    members = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["uuid", "plan", "name", "decision_number", "decision_symbol", "decision_date", "duties", "members"]


class InspectionPlanSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    inspections = InspectionSerializer(many=True, read_only=True)
    teams = serializers.SlugRelatedField(many=True, read_only=True, slug_field="uuid")

    class Meta:
        model = InspectionPlan
        fields = ["uuid", "unit", "number", "symbol", "number_symbol", "place", "date", "title", "year", "purpose",
                  "content", "schedule", "start_date", "end_date", "status", "signer_on_behalf", "signer_title",
                  "signer_name", "cancelled_at", "cancel_reason", "inspections", "teams"]


class InspectedUnitInput(serializers.Serializer):
    unit = serializers.CharField(help_text="The inspected unit's code (a unit below the plan's unit).")
    window_start = serializers.DateField(required=False)
    window_end = serializers.DateField(required=False)


class InspectionPlanInput(serializers.ModelSerializer):
    unit = serializers.CharField(help_text="The inspecting unit's code.")
    inspections = InspectedUnitInput(many=True, required=False, default=list)

    class Meta:
        model = InspectionPlan
        fields = ["unit", *service.PLAN_FIELDS, "inspections"]
        extra_kwargs = {"year": {"required": False}}


class MemberInput(serializers.Serializer):
    username = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None,
                                     help_text="The member's account; empty for an outside expert.")
    name = serializers.CharField(required=False, allow_blank=True, default="")
    title = serializers.CharField(required=False, allow_blank=True, default="")
    organization = serializers.CharField(required=False, allow_blank=True, default="")
    from_unit = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    role = serializers.ChoiceField(choices=TeamRole.choices, default=TeamRole.MEMBER)


class TeamInput(serializers.Serializer):
    plan = serializers.UUIDField()
    name = serializers.CharField()
    decision_number = serializers.CharField(required=False, allow_blank=True, default="")
    decision_symbol = serializers.CharField(required=False, allow_blank=True, default="")
    decision_date = serializers.DateField(required=False, allow_null=True, default=None)
    duties = serializers.CharField(required=False, allow_blank=True, default="")
    members = MemberInput(many=True, required=False, default=list)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


class WindowInput(serializers.Serializer):
    window_start = serializers.DateField()
    window_end = serializers.DateField()


class TeamChoiceInput(serializers.Serializer):
    team = serializers.UUIDField(allow_null=True, help_text="The team's uuid (of the same plan), or null for none.")


def _unit(user, code: str, field: str) -> OrgUnit:
    unit = OrgUnit.objects.restrict(user, with_extra=False).filter(code=code).first()
    if unit is None:
        raise invalid(field, f"Không có đơn vị “{code}”.", f"No unit {code!r}.")
    return unit


class _Answering:
    def answer(self, obj, code=status.HTTP_200_OK):
        fresh = get_object_or_404(self.get_queryset(), pk=obj.pk)
        return Response(self.get_serializer(fresh).data, status=code)


class InspectionPlanViewSet(ReadForWritesMixin, _Answering, mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    queryset = InspectionPlan.objects.select_related("unit").prefetch_related(
        Prefetch("inspections", queryset=Inspection.objects.select_related("plan__unit", "unit", "team")), "teams",
    ).order_by("-year", "-start_date", "pk")
    serializer_class = InspectionPlanSerializer
    lookup_field = "uuid"
    filterset_fields = {"unit__code": ["exact"], "year": ["exact"], "status": ["exact"]}

    @extend_schema(request=InspectionPlanInput, responses={201: InspectionPlanSerializer})
    def create(self, request):
        body = InspectionPlanInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        unit = _unit(request.user, data.pop("unit"), "unit")
        rows = data.pop("inspections")
        # Units of the subtree only; a unit the caller cannot see is the service's refusal too.
        units = [OrgUnit.objects.filter(code=row["unit"]).first() for row in rows]
        missing = [row["unit"] for row, found in zip(rows, units) if found is None]
        if missing:
            raise invalid("inspections", f"Không có đơn vị: {', '.join(missing)}.", f"No unit(s): {', '.join(missing)}.")
        windows = {found.pk: (row["window_start"], row["window_end"]) for row, found in zip(rows, units)
                   if row.get("window_start") and row.get("window_end")}
        try:
            plan = service.create_plan(unit, user=request.user, inspected_units=units, windows=windows, **data)
        except ReviewError as error:
            raise refused(error) from error
        return self.answer(plan, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InspectionPlanSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, uuid=None):
        """Issue the draft: each team member with an account may read the inspected unit until the end of its window."""
        plan = self.get_object()
        try:
            service.issue_plan(plan, user=request.user)
        except ReviewError as error:
            raise refused(error) from error
        return self.answer(plan)

    @extend_schema(request=ReasonInput, responses=InspectionPlanSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, uuid=None):
        """Cancel the plan; every team's access is revoked at once."""
        plan = self.get_object()
        body = ReasonInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            service.cancel_plan(plan, user=request.user, reason=body.validated_data["reason"])
        except ReviewError as error:
            raise refused(error) from error
        return self.answer(plan)


class TeamViewSet(ReadForWritesMixin, _Answering, mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    queryset = Team.objects.select_related("plan").prefetch_related(
        Prefetch("members", queryset=TeamMember.objects.select_related("user", "from_unit"))).order_by("pk")
    serializer_class = TeamSerializer
    lookup_field = "uuid"
    filterset_fields = {"plan__uuid": ["exact"]}

    @extend_schema(request=TeamInput, responses={201: TeamSerializer})
    def create(self, request):
        body = TeamInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        plan = InspectionPlan.objects.restrict(request.user).filter(uuid=data.pop("plan")).first()
        if plan is None:
            raise invalid("plan", "Không có kế hoạch kiểm tra này.", "No such inspection plan.")
        members = [self._member(request.user, row) for row in data.pop("members")]
        try:
            team = service.create_team(plan, user=request.user, members=members, **data)
        except ReviewError as error:
            raise refused(error) from error
        return self.answer(team, status.HTTP_201_CREATED)

    @staticmethod
    def _member(user, row: dict) -> dict:
        row = dict(row)
        username, from_unit = row.pop("username"), row.pop("from_unit")
        account = None
        if username:
            account = get_user_model().objects.filter(username=username, is_active=True).first()
            if account is None:
                raise invalid("members", f"Không có tài khoản “{username}”.", f"No account named {username!r}.")
        row["user"] = account
        row["from_unit"] = _unit(user, from_unit, "members") if from_unit else None
        return row


class InspectionViewSet(ReadForWritesMixin, _Answering, RestrictedReadOnlyViewSet):
    queryset = Inspection.objects.select_related("plan__unit", "unit", "team").order_by("pk")
    serializer_class = InspectionSerializer
    lookup_field = "uuid"
    filterset_fields = {"plan__uuid": ["exact"], "unit__code": ["exact"], "status": ["exact"]}

    def _run(self, call):
        try:
            return call()
        except ReviewError as error:
            raise refused(error) from error

    @extend_schema(request=TeamChoiceInput, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def team(self, request, uuid=None):
        """Give the inspection a team of its plan (or none); on an issued plan access follows at once."""
        inspection = self.get_object()
        body = TeamChoiceInput(data=request.data)
        body.is_valid(raise_exception=True)
        team = None
        if body.validated_data["team"] is not None:
            team = Team.objects.restrict(request.user).filter(uuid=body.validated_data["team"]).first()
            if team is None:
                raise invalid("team", "Không có đoàn kiểm tra này.", "No such team.")
        self._run(lambda: service.assign_team(inspection, team, user=request.user))
        return self.answer(inspection)

    @extend_schema(request=WindowInput, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def window(self, request, uuid=None):
        inspection = self.get_object()
        body = WindowInput(data=request.data)
        body.is_valid(raise_exception=True)
        self._run(lambda: service.set_window(inspection, user=request.user, **body.validated_data))
        return self.answer(inspection)

    @extend_schema(request=ReasonInput, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, uuid=None):
        """Cancel this unit's inspection; its team's access is revoked at once."""
        inspection = self.get_object()
        body = ReasonInput(data=request.data)
        body.is_valid(raise_exception=True)
        self._run(lambda: service.cancel_inspection(inspection, user=request.user, reason=body.validated_data["reason"]))
        return self.answer(inspection)
