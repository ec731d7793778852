"""OpenAPI: every operation documents the platform's JSON errors (mttq_platform.api.errors).

drf-spectacular only documents the success answers a view declares. The errors every endpoint
may answer (bad input, no or bad credentials, no permission or a read-only token, an object not
found or not visible) are added here once, in the shape the error handler writes, so that clients
and the API fuzzing (tests/api/test_fuzz.py) can rely on the schema for them too.
"""
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_SERIALIZER = inline_serializer("Error", {"error": inline_serializer("ErrorBody", {
    "status": serializers.IntegerField(),
    "code": serializers.CharField(help_text="Machine-readable reason, e.g. not_found, invalid, token_read_only."),
    "message": serializers.CharField(help_text="Vietnamese message."),
    "message_en": serializers.CharField(help_text="English message."),
    "detail": serializers.JSONField(required=False, help_text="Field errors of invalid input."),
})})

ERROR_DESCRIPTIONS = {
    "400": "Invalid input (body or query), or refused by the rules of the operation",
    "401": "No credentials, or an invalid, expired or revoked token or signature",
    "403": "Not permitted for this user or token (e.g. a read-only token writing)",
    "404": "Not found, or not visible to the caller (also a page past the end, or a unit named in the input)",
}


def may_be_null(field) -> bool:
    """A read-only field answers null when it says so (``default=None``) or when its source
    passes through a nullable column or relation of the serializer's model."""
    if not field.read_only or getattr(field, "many", False) or field.source == "*":
        return False
    if field.default is None:
        return True
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    for attr in getattr(field, "source_attrs", ()):  # unbound fields (inline serializers) have none
        if model is None:
            return False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return False
        if model_field.null:
            return True
        model = model_field.related_model
    return False


class PlatformAutoSchema(AutoSchema):
    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and may_be_null(field):
            meta["nullable"] = True
        return meta

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            described = responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
            if not described.get("content"):
                described["content"] = self._get_response_for_code(ERROR_SERIALIZER, code)["content"]
        return responses

    def _error_codes(self):
        has_input = self.method in ("POST", "PUT", "PATCH") or any(
            parameter["in"] in ("query", "path") for parameter in self._get_parameters())
        # Anything named in the path, the query or the body may be missing or invisible.
        return ["401", "403", "400", "404"] if has_input else ["401", "403"]

