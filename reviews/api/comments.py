"""Comment rounds (góp ý) over the API.

``comment-rounds/``: list, retrieve, create (the drafting unit opens a round on its report of a
year); ``comment-rounds/<uuid>/comments/`` POST (a party's written comment, or the drafter's record
of an outside body's or a conference's comment); ``comment-rounds/<uuid>/meeting/`` and
``.../close/`` POST; ``comments/`` list/retrieve and ``comments/<id>/decide/`` POST. Reading goes
through ``restrict`` (party units read the rounds they are invited to and their own comments);
every write through ``reviews.services.comments``, which checks the caller's right.
"""
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from orgtree.models import OrgUnit
from plans.models import OutsideBody
from reviews.models import Comment, CommentParty, CommentRound, CommentRoundMode, Disposition, UnitReport
from reviews.services import comments as service
from reviews.services.errors import ReviewError
from reviews.services.reports import open_report


def refused(error: ReviewError) -> exceptions.APIException:
    """A service's refusal as the platform's JSON error, its own Vietnamese and English words kept."""
    if error.code == "permission_denied":
        return exceptions.PermissionDenied()
    return exceptions.ValidationError({"detail": [error.message_vi, error.message_en], "reason": [error.code]})


def invalid(field: str, message_vi: str, message_en: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message_vi, message_en]})


class CommentSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="party.unit.code", read_only=True, default=None)
    outside_body = serializers.CharField(source="party.outside_body.name", read_only=True, default=None)
    round = serializers.UUIDField(source="round.uuid", read_only=True)
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ["id", "round", "party", "unit", "outside_body", "text", "submitted_at", "submitted_by",
                  "disposition", "response", "decided_at", "decided_by"]


class CommentPartySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="party.pk")
    unit = serializers.CharField(source="party.unit.code", default=None)
    unit_name = serializers.CharField(source="party.unit.name", default=None)
    outside_body = serializers.CharField(source="party.outside_body.name", default=None)
    comments = serializers.SerializerMethodField(help_text="How many comments of the party the caller may read.")
    late = serializers.BooleanField()

    def get_comments(self, row) -> int:
        return len(row.comments)


class CommentRoundSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="report.unit.code", read_only=True)
    year = serializers.IntegerField(source="report.year", read_only=True)
    report = serializers.UUIDField(source="report.uuid", read_only=True)
    parties = serializers.SerializerMethodField()
    comments = serializers.SerializerMethodField()
    late = serializers.SerializerMethodField()

    class Meta:
        model = CommentRound
        fields = ["uuid", "unit", "year", "report", "mode", "title", "deadline", "meeting_at", "meeting_place", "minutes",
                  "closed_at", "created_at", "parties", "late", "comments"]

    def _rows(self, round_):
        # The parties and comments the caller may read (prefetched through restrict).
        if not hasattr(round_, "_party_rows"):
            round_._party_rows = service.party_rows(round_, round_.visible_parties, round_.visible_comments)
        return round_._party_rows

    @extend_schema(responses=CommentPartySerializer(many=True))
    def get_parties(self, round_) -> list[dict]:
        return CommentPartySerializer(self._rows(round_), many=True).data

    def get_late(self, round_) -> list[int]:
        return [row.party.pk for row in self._rows(round_) if row.late]

    @extend_schema(responses=CommentSerializer(many=True))
    def get_comments(self, round_) -> list[dict]:
        return CommentSerializer(round_.visible_comments, many=True).data


class CommentRoundCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(help_text="Code of the drafting unit.")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    mode = serializers.ChoiceField(choices=CommentRoundMode.choices)
    title = serializers.CharField(max_length=255)
    deadline = serializers.DateField()
    units = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                  help_text="Codes of the invited units (any unit the drafter may read).")
    outside_bodies = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list,
                                           help_text="Names of outside bodies, existing or new.")
    meeting_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    meeting_place = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.CharField(required=False, allow_blank=True, default="")


class CommentCreateSerializer(serializers.Serializer):
    party = serializers.IntegerField(required=False, help_text="Id of the party; or give unit or outside_body.")
    unit = serializers.CharField(required=False, help_text="Code of the party unit.")
    outside_body = serializers.CharField(required=False, help_text="Name of the party outside body.")
    text = serializers.CharField()


class CommentDecisionSerializer(serializers.Serializer):
    disposition = serializers.ChoiceField(choices=[Disposition.TAKEN, Disposition.EXPLAINED])
    response = serializers.CharField()


class CommentMeetingSerializer(serializers.Serializer):
    meeting_at = serializers.DateTimeField()
    meeting_place = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.CharField(required=False, allow_blank=True, default="")


class CommentRoundViewSet(mixins.CreateModelMixin, RestrictedReadOnlyViewSet):
    """Comment rounds the caller may read: its subtree's and the units' above, and those its
    units are invited to."""

    queryset = CommentRound.objects.select_related("report__unit").order_by("-created_at", "-id")
    serializer_class = CommentRoundSerializer
    lookup_field = "uuid"
    filterset_fields = {"mode": ["exact"], "report__year": ["exact"], "report__unit__code": ["exact"]}

    def get_queryset(self):
        return self._with_visible_parts(super().get_queryset())

    def _with_visible_parts(self, rounds):
        """Each round with the parties and comments the caller may read, in two queries."""
        user = self.request.user
        return rounds.prefetch_related(
            Prefetch("parties", queryset=CommentParty.objects.restrict(user).select_related("unit", "outside_body"),
                     to_attr="visible_parties"),
            Prefetch("comments", queryset=Comment.objects.restrict(user).select_related(
                "party__unit", "party__outside_body", "submitted_by", "decided_by", "round"), to_attr="visible_comments"),
        )

    def _round(self, uuid) -> CommentRound:
        # Actions read the round (a party may comment on a round it only reads); the service
        # decides whether the caller may write.
        return get_object_or_404(CommentRound.objects.restrict(self.request.user).select_related("report__unit"), uuid=uuid)

    def _answer(self, round_, code=status.HTTP_200_OK):
        readable = self._with_visible_parts(CommentRound.objects.restrict(self.request.user).select_related("report__unit"))
        return Response(CommentRoundSerializer(get_object_or_404(readable, pk=round_.pk)).data, status=code)

    @extend_schema(request=CommentRoundCreateSerializer, responses={201: CommentRoundSerializer})
    def create(self, request, *args, **kwargs):
        body = CommentRoundCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unit = get_object_or_404(OrgUnit.objects.restrict(request.user, with_extra=False), code=data["unit"])
        if not service.can_draft(request.user, UnitReport(unit=unit)):
            raise exceptions.PermissionDenied()
        units = list(OrgUnit.objects.restrict(request.user).filter(code__in=data["units"]))
        missing = sorted(set(data["units"]) - {u.code for u in units})
        if missing:
            raise invalid("units", f"Không tìm thấy đơn vị: {', '.join(missing)}.", f"Unknown units: {', '.join(missing)}.")
        existing = list(OutsideBody.objects.filter(name__in=data["outside_bodies"]))
        try:
            with transaction.atomic():  # a refused round leaves no newly opened report behind
                round_ = service.open_round(
                    open_report(unit, data["year"]), user=request.user, mode=data["mode"], title=data["title"],
                    deadline=data["deadline"], units=units, outside_bodies=existing,
                    new_body_names=[name for name in data["outside_bodies"] if name not in {b.name for b in existing}],
                    meeting_at=data["meeting_at"], meeting_place=data["meeting_place"], minutes=data["minutes"],
                )
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(round_, status.HTTP_201_CREATED)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["post"], url_path="comments")
    def add_comment(self, request, uuid=None):
        """A written comment of a party (its users), or the drafter's record of an outside body's
        letter or of what a party said at the conference. Refused after the deadline in writing."""
        round_ = self._round(uuid)
        body = CommentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        parties = round_.parties.select_related("unit", "outside_body")
        if "party" in data:
            party = parties.filter(pk=data["party"]).first()
        elif "unit" in data:
            party = parties.filter(unit__code=data["unit"]).first()
        elif "outside_body" in data:
            party = parties.filter(outside_body__name=data["outside_body"]).first()
        else:
            raise invalid("party", "Cần chỉ rõ bên góp ý.", "Say which party the comment is from.")
        if party is None:
            raise invalid("party", "Bên này không được mời góp ý trong đợt này.", "That party is not invited to this round.")
        try:
            comment = service.submit_comment(round_, party, data["text"], user=request.user)
        except ReviewError as error:
            raise refused(error) from error
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CommentMeetingSerializer, responses=CommentRoundSerializer)
    @action(detail=True, methods=["post"])
    def meeting(self, request, uuid=None):
        round_ = self._round(uuid)
        body = CommentMeetingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            service.record_meeting(round_, user=request.user, **body.validated_data)
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(round_)

    @extend_schema(request=None, responses=CommentRoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, uuid=None):
        """Close the round: every comment must be taken in or explained first."""
        round_ = self._round(uuid)
        try:
            service.close_round(round_, user=request.user)
        except ReviewError as error:
            raise refused(error) from error
        return self._answer(round_)


class CommentViewSet(RestrictedReadOnlyViewSet):
    """Comments the caller may read: all of its subtree's rounds, and a party's own."""

    queryset = Comment.objects.select_related(
        "round", "party__unit", "party__outside_body", "submitted_by", "decided_by").order_by("round", "submitted_at", "id")
    serializer_class = CommentSerializer
    filterset_fields = {"disposition": ["exact"], "round__uuid": ["exact"]}

    @extend_schema(request=CommentDecisionSerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """The drafter marks the comment taken in (tiếp thu) or explained (giải trình)."""
        comment = get_object_or_404(
            Comment.objects.restrict(request.user).select_related("round__report", "party__unit", "party__outside_body"), pk=pk,
        )
        body = CommentDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            service.decide(comment, user=request.user, **body.validated_data)
        except ReviewError as error:
            raise refused(error) from error
        return Response(CommentSerializer(comment).data)
