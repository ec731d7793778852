"""Inbox and follow-up of guidance and amendments (API)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from plans.models import AmendmentDecision, Dispatch, InboxItem
from plans.services import guidance


class DispatchSerializer(serializers.ModelSerializer):
    plan = serializers.UUIDField(source="document.uuid", read_only=True)
    title = serializers.CharField(source="document.title", read_only=True)
    number_symbol = serializers.CharField(source="document.number_symbol", read_only=True)
    sender = serializers.CharField(source="document.unit.code", read_only=True)

    class Meta:
        model = Dispatch
        fields = ["id", "kind", "plan", "title", "number_symbol", "sender", "from_version", "to_version", "note", "due_date", "sent_at"]


class InboxItemSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    dispatch = DispatchSerializer(read_only=True)
    own_plan = serializers.UUIDField(source="plan.uuid", read_only=True, allow_null=True, default=None)

    class Meta:
        model = InboxItem
        fields = ["id", "unit", "dispatch", "own_plan", "state", "seen_at", "acted_at"]


class ChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=["changed", "added", "removed"])
    before = serializers.DictField(allow_null=True)
    after = serializers.DictField(allow_null=True)
    own_task = serializers.SerializerMethodField()
    decision = serializers.CharField(allow_null=True)

    def get_own_task(self, change) -> dict | None:
        task = change.own_task
        return None if task is None else {"uuid": str(task.uuid), "number": task.number, "text": task.text,
                                          "timeframe_text": task.timeframe_text}


class DecisionSerializer(serializers.Serializer):
    change = serializers.CharField()
    choice = serializers.ChoiceField(choices=AmendmentDecision.Choice.choices)


class FollowUpSerializer(serializers.Serializer):
    unit = serializers.CharField(source="item.unit.code")
    unit_name = serializers.CharField(source="item.unit.name")
    state = serializers.CharField(source="item.state")
    seen_at = serializers.DateTimeField(source="item.seen_at", allow_null=True)
    acted_at = serializers.DateTimeField(source="item.acted_at", allow_null=True)
    late = serializers.BooleanField()


class InboxItemViewSet(RestrictedReadOnlyViewSet):
    """What reached a unit from above: guidance and amendments of the plans its plan derives from.
    Reading follows the unit's subtree; acting (seen, decisions, acknowledgement) needs the
    'change' action on the receiving unit, which the service checks."""

    queryset = InboxItem.objects.select_related("unit", "plan", "dispatch__document__unit").order_by("-dispatch__sent_at", "id")
    serializer_class = InboxItemSerializer
    filterset_fields = {"state": ["exact"], "unit__code": ["exact"], "dispatch": ["exact"]}

    def _item(self, pk):
        return get_object_or_404(InboxItem.objects.restrict(self.request.user).select_related("dispatch__document", "plan"), pk=pk)

    @extend_schema(responses=ChangeSerializer(many=True))
    @action(detail=True, pagination_class=None, filter_backends=[])  # one unpaginated list
    def changes(self, request, pk=None):
        return Response(ChangeSerializer(guidance.changes_for(self.get_object()), many=True).data)

    @extend_schema(request=DecisionSerializer, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        item = self._item(pk)
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        guidance.decide(item, body.validated_data["change"], body.validated_data["choice"], request.user)
        return Response(InboxItemSerializer(self._item(pk)).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=InboxItemSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        guidance.acknowledge(self._item(pk), request.user)
        return Response(InboxItemSerializer(self._item(pk)).data)


class DispatchViewSet(RestrictedReadOnlyViewSet):
    """Documents sent down the tree; the sender's subtree follows who has seen and acted."""

    queryset = Dispatch.objects.select_related("document__unit").order_by("-sent_at", "id")
    serializer_class = DispatchSerializer
    filterset_fields = {"document__unit__code": ["exact"], "kind": ["exact"]}

    @extend_schema(responses=FollowUpSerializer(many=True))
    @action(detail=True, url_path="follow-up", pagination_class=None, filter_backends=[])  # one unpaginated list
    def follow_up(self, request, pk=None):
        rows = guidance.follow_up(self.get_object())
        # Only the receiving units the caller may see (an upper unit sees its whole subtree).
        visible = set(InboxItem.objects.restrict(request.user).filter(dispatch_id=pk).values_list("pk", flat=True))
        return Response(FollowUpSerializer([row for row in rows if row.item.pk in visible], many=True).data)
