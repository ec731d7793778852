"""Base API views: every queryset goes through ``restrict`` once, here, as NetBox does."""
from django.db import transaction
from rest_framework import exceptions, permissions, viewsets

from mttq_platform.permissions import READ

METHOD_ACTIONS = {"GET": READ, "HEAD": READ, "OPTIONS": READ, "POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class ReadOnlyTokenDenied(exceptions.PermissionDenied):
    default_code = "token_read_only"
    default_detail = "This API token is read-only."


class TokenAllowsMethod(permissions.BasePermission):
    """A read-only API token may only use safe methods, on every endpoint, before any query.

    The restriction already returns nothing for writes through a read-only token, but a create
    never reads a queryset, so the refusal must come first."""

    def has_permission(self, request, view):
        token = getattr(request.user, "api_token", None)
        if token is not None and token.read_only and request.method not in permissions.SAFE_METHODS:
            raise ReadOnlyTokenDenied()
        return True


class RestrictedViewSetMixin:
    """Subclasses set ``queryset``; reads and writes are filtered by the user's access.

    Writes are checked by re-reading the row through the same restriction inside the write's
    transaction: a create that lands outside what the user may add is rolled back.
    """

    permission_classes = [permissions.IsAuthenticated, TokenAllowsMethod]

    def get_queryset(self):
        action = METHOD_ACTIONS.get(self.request.method, READ)
        return super().get_queryset().restrict(self.request.user, action)

    def _ensure_allowed(self, pk, action):
        allowed = self.queryset.model._default_manager.restrict(self.request.user, action)
        if not allowed.select_for_update().filter(pk=pk).exists():
            raise exceptions.PermissionDenied()

    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self._ensure_allowed(instance.pk, "add")

    def perform_update(self, serializer):
        # Locked re-read before the write, so a membership revoked a moment ago cannot slip a
        # write through.
        with transaction.atomic():
            self._ensure_allowed(serializer.instance.pk, "change")
            serializer.save()

    def perform_destroy(self, instance):
        with transaction.atomic():
            self._ensure_allowed(instance.pk, "delete")
            instance.delete()


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RestrictedModelViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    pass
