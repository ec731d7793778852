from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from orgtree.api.serializers import MembershipSerializer, UnitRefSerializer


class TokenInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    unit = UnitRefSerializer(allow_null=True)
    read_only = serializers.BooleanField()
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True)
    token = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["username", "first_name", "last_name", "email", "is_superuser", "memberships", "token"]

    @extend_schema(responses=TokenInfoSerializer(allow_null=True))
    def get_token(self, user) -> dict | None:
        token = getattr(user, "api_token", None)
        return TokenInfoSerializer(token).data if token else None


class MeView(APIView):
    """The caller: user, memberships (unit and role with its actions) and the token in use."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        memberships = user.memberships.select_related("unit", "role").order_by("unit__tree_id", "unit__lft")
        user._prefetched_objects_cache = {"memberships": memberships}
        return Response(MeSerializer(user, context={"request": request}).data)
