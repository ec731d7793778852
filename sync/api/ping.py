"""``/api/v1/sync/ping/``: a signed request's smallest answer, to check a peer's address, clock and
key (``manage.py sync_peer`` and the tests). It writes nothing but the nonce."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from sync.api.auth import IsSignedPeer, SignedPeerAuthentication

PingAnswer = inline_serializer("SyncPing", {
    "installation": serializers.CharField(help_text="This installation's id."),
    "peer": serializers.CharField(help_text="The verified caller's installation id."),
    "received_bytes": serializers.IntegerField(help_text="Length of the body received (POST)."),
})


class PingView(APIView):
    authentication_classes = [SignedPeerAuthentication]
    permission_classes = [IsSignedPeer]

    def answer(self, request):
        return Response({"installation": settings.INSTALLATION_ID, "peer": request.peer.installation_id,
                         "received_bytes": len(request.body)})

    @extend_schema(tags=["sync"], responses=PingAnswer, summary="Check a signed connection")
    def get(self, request):
        return self.answer(request)

    @extend_schema(tags=["sync"], request=None, responses=PingAnswer, summary="Check a signed connection with a body")
    def post(self, request):
        return self.answer(request)
