"""``POST /api/v1/sync/inbox/``: a child installation delivers a batch of its changes (upward
federation). Signed by the child (``SignedPeerAuthentication``: ``request.peer``); each item is
applied or parked by ``sync.services.apply`` and the answer acknowledges the whole batch, naming the
last position received (``acknowledged_through``), the one the child advances its watermark to."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView


from sync.api.auth import SignedPeerAuthentication
from sync.models import PeerRole
from sync.services.apply import apply_batch


class NotAChild(exceptions.PermissionDenied):
    default_code = "sync_not_child"
    message_vi = "Chỉ cài đặt cấp dưới đã đăng ký mới được gửi dữ liệu lên đây."
    message_en = "Only a registered child installation may deliver here."


class BatchSerializer(serializers.Serializer):
    installation = serializers.CharField(help_text="The sender's installation id.")
    through = serializers.IntegerField(help_text="Position (change record id at the sender) of the batch's last item.")
    items = serializers.ListField(
        child=serializers.JSONField(), allow_empty=True,
        help_text="Items in the sender's commit order: {position, kind, global_id, origin, object_uuid, version, "
                  "schema_version, unit (code), payload} (payload shapes: sync.payloads).",
    )


ParkedSerializer = inline_serializer("SyncParkedItem", {
    "global_id": serializers.CharField(),
    "reason": serializers.CharField(help_text="Vietnamese."),
    "reason_en": serializers.CharField(),
})

AcknowledgementSerializer = inline_serializer("SyncInboxAcknowledgement", {
    "installation": serializers.CharField(help_text="This installation's id."),
    "acknowledged_through": serializers.IntegerField(help_text="The batch's `through`: everything up to it is held here."),
    "applied": serializers.ListField(child=serializers.CharField(), help_text="Global ids applied."),
    "skipped": serializers.ListField(child=serializers.CharField(), help_text="Global ids whose version (or a newer one) is held already."),
    "parked": serializers.ListField(child=ParkedSerializer, help_text="Items refused, kept with their reason."),
})


class InboxView(APIView):
    authentication_classes = [SignedPeerAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(tags=["sync"], request=BatchSerializer, responses=AcknowledgementSerializer,
                   summary="Deliver a batch of a child installation's changes")
    def post(self, request):
        peer = request.peer
        if peer.role != PeerRole.CHILD:
            raise NotAChild()
        batch = BatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        result = apply_batch(peer, batch.validated_data["items"])
        return Response({"installation": settings.INSTALLATION_ID,
                         "acknowledged_through": batch.validated_data["through"], **result.as_dict()})
