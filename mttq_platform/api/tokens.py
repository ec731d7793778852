"""The caller's own API tokens: list, make (the key is shown once) and revoke.

Session authentication only: a token cannot be used to make or revoke tokens.
"""
from django.apps import apps
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from mttq_platform.models.tokens import ApiToken


@extend_schema_field(serializers.CharField(allow_null=True, help_text="Unit code"))
class ScopeUnitField(serializers.SlugRelatedField):
    """A unit the user may act for (their units and the units below); null = the user's rights."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", allow_null=True, required=False, **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        OrgUnit = apps.get_model("orgtree", "OrgUnit")
        return OrgUnit.objects.restrict(getattr(request, "user", None), with_extra=False)


class ApiTokenSerializer(serializers.ModelSerializer):
    unit = ScopeUnitField()
    key = serializers.CharField(read_only=True, help_text="The secret key: in the answer to the create request only.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "unit", "read_only", "expires_at", "created_at", "last_used_at", "key_hint", "key"]
        read_only_fields = ["id", "created_at", "last_used_at", "key_hint"]


@extend_schema(tags=["tokens"])
class ApiTokenViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                      mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The signed-in user's usable tokens. DELETE revokes a token (it stays recorded)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ApiToken.objects.none()
        return ApiToken.objects.usable().filter(user=self.request.user).select_related("unit").order_by("-created_at", "-id")

    def perform_create(self, serializer):
        token, key = ApiToken.issue(user=self.request.user, **serializer.validated_data)
        token.key = key
        serializer.instance = token

    def perform_destroy(self, instance):
        instance.revoke()
