"""Audit of domain data: who changed what, when, before and after.

Models opt in by inheriting ``AuditedModel``. Single saves and deletes are recorded by signals,
with the "before" taken from the values the row was loaded with (no extra query). Bulk writes go
through ``bulk_create_audited`` / ``update_audited``, which write one audit row per object in bulk.
The actor comes from a context variable: the request's user (middleware), or whoever a background
job acts for (``acting_as``).
"""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal

_actor = contextvars.ContextVar("audit_actor", default=None)
_source = contextvars.ContextVar("audit_source", default="")
_request_id = contextvars.ContextVar("audit_request_id", default="")


@contextmanager
def acting_as(user, source: str = "job", request_id: str = ""):
    """Attribute the audit rows written inside to ``user`` (None for the system)."""
    tokens = (_actor.set(user), _source.set(source), _request_id.set(request_id or uuid.uuid4().hex))
    try:
        yield
    finally:
        _actor.reset(tokens[0])
        _source.reset(tokens[1])
        _request_id.reset(tokens[2])


class AuditActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Set by RequestIdMiddleware (the proxy's id when sane); the audit rows share the logs' id.
        request.request_id = getattr(request, "request_id", None) or uuid.uuid4().hex
        user = getattr(request, "user", None)
        # request.user is lazy; resolve it only when a write records it.
        with acting_as(_LazyUser(request) if user is not None else None, "web", request.request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class _LazyUser:
    def __init__(self, request):
        self.request = request

    def resolve(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


def current_actor():
    actor = _actor.get()
    if isinstance(actor, _LazyUser):
        actor = actor.resolve()
    if actor is not None and not getattr(actor, "pk", None):
        return None
    return actor


def _json(value):
    if isinstance(value, FieldFile):
        return value.name or None  # a file is audited by its stored name
    return DjangoJSONEncoder().default(value) if not isinstance(value, (str, int, float, bool, type(None), list, dict)) else value


class AuditedModel(models.Model):
    """Mixin: changes to rows of this model are recorded in the audit log."""

    audit_exclude: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = instance.audit_snapshot()
        return instance

    def audit_snapshot(self) -> dict:
        data = {}
        deferred = self.get_deferred_fields()  # once: it walks every field (bulk imports call this 65,000 times)
        for field in self._meta.concrete_fields:
            if field.attname in self.audit_exclude or field.name in self.audit_exclude:
                continue
            if field.attname in deferred:
                continue
            data[field.attname] = _json(getattr(self, field.attname))
        return data

    def audit_unit_id(self):
        """The unit whose chair sees this row's audit (the unit itself for a unit)."""
        if self._meta.model_name == "orgunit":
            return self.pk
        return getattr(self, "unit_id", None)


def _entry(instance, action, before, after):
    from mttq_platform.models import AuditLog
    from django.contrib.contenttypes.models import ContentType

    actor = current_actor()
    return AuditLog(
        actor=actor,
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:255],
        unit_id=instance.audit_unit_id(),
        before=before,
        after=after,
        source=_source.get() or "system",
        request_id=_request_id.get(),
    )


def _changed(before: dict | None, after: dict) -> tuple[dict | None, dict]:
    if not before:
        return before, after
    keys = {k for k in after if before.get(k) != after.get(k)}
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel):
        return
    after = instance.audit_snapshot()
    before = None if created else getattr(instance, "_audit_loaded", None)
    before, diff = _changed(before, after)
    if not created and before is not None and not diff:
        return  # nothing the audit cares about changed
    _entry(instance, "create" if created else "update", before, diff).save()
    instance._audit_loaded = after


def _on_delete(sender, instance, **kwargs):
    if not isinstance(instance, AuditedModel):
        return
    _entry(instance, "delete", instance.audit_snapshot(), None).save()


post_save.connect(_on_save, dispatch_uid="mttq_audit_save")
post_delete.connect(_on_delete, dispatch_uid="mttq_audit_delete")


# Sent after the bulk writes below (which bypass post_save), with ``objs`` (the rows written) and
# ``fields`` (None for a create, the updated field names for an update): the change log (sync)
# records bulk-created units and bulk-issued documents through it.
bulk_written = Signal()


def bulk_create_audited(model, objs, **kwargs):
    """``bulk_create`` that also writes one audit row per created object, in bulk."""
    from mttq_platform.models import AuditLog

    created = model.objects.bulk_create(objs, **kwargs)
    AuditLog.objects.bulk_create(
        [_entry(obj, "create", None, obj.audit_snapshot()) for obj in created if obj.pk is not None],
        batch_size=1000,
    )
    bulk_written.send(model, objs=created, fields=None)
    return created


def update_audited(queryset, **changes) -> int:
    """``queryset.update(**changes)`` that records before and after of every row it changes.
    The rows, the update and their audit rows go in one transaction (the caller's, if any)."""
    with transaction.atomic():
        return _update_audited(queryset, changes)


def _update_audited(queryset, changes: dict) -> int:
    from mttq_platform.models import AuditLog

    fields = list(changes)
    rows = list(queryset.select_for_update())
    entries = []
    for obj in rows:
        before = {f: _json(getattr(obj, f if f in obj.__dict__ else f + "_id", None)) for f in fields}
        for f, v in changes.items():
            setattr(obj, f, v)
        after = {f: _json(getattr(obj, f if f in obj.__dict__ else f + "_id", None)) for f in fields}
        entries.append(_entry(obj, "update", before, after))
    count = queryset.model.objects.filter(pk__in=[o.pk for o in rows]).update(**changes)
    AuditLog.objects.bulk_create(entries, batch_size=1000)
    bulk_written.send(queryset.model, objs=rows, fields=fields)
    return count
