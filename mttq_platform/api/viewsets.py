"""Base API views: every queryset goes through ``restrict`` once, here, as NetBox does."""
from django.db import transaction
from rest_framework import exceptions, viewsets

from mttq_platform.permissions import READ

METHOD_ACTIONS = {"GET": READ, "HEAD": READ, "OPTIONS": READ, "POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class RestrictedViewSetMixin:
    """Subclasses set ``queryset``; reads and writes are filtered by the user's access."""

    def get_queryset(self):
        action = METHOD_ACTIONS.get(self.request.method, READ)
        # A read-only token must never write, even where the model has no unit.
        return super().get_queryset().restrict(self.request.user, action)

    def perform_update(self, serializer):
        # Re-read the row through the same restriction inside the transaction, locked, so a
        # membership revoked a moment ago cannot slip a write through.
        with transaction.atomic():
            allowed = self.get_queryset().select_for_update().filter(pk=serializer.instance.pk).exists()
            if not allowed:
                raise exceptions.PermissionDenied()
            serializer.save()

    def perform_destroy(self, instance):
        with transaction.atomic():
            if not self.get_queryset().select_for_update().filter(pk=instance.pk).exists():
                raise exceptions.PermissionDenied()
            instance.delete()


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class RestrictedModelViewSet(RestrictedViewSetMixin, viewsets.ModelViewSet):
    pass
