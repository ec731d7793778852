"""What travels: the JSON of each kind of change, and writing it to the change log.

Contract (docs/decisions/0008-sync.md) used by the feed, the snapshots and federation:

- ``SCHEMA_VERSION``: the version of the shapes below; a receiver parks an item of a schema
  version it does not know.
- ``record_change(kind, obj)``: writes (or refreshes) the ``ChangeRecord`` of ``obj`` in the
  caller's transaction. Version: the object's own version field for a report; a counter for the
  other kinds (every issue, amendment or dispatch of a document, every conclusion, every change of
  a unit is one more version). ``record_change(..., refresh_only=True)`` completes the row the
  same transaction wrote: a service that saves the object and then adds its parts (recommendations
  after the conclusion, levels after the dispatch, tasks after a document created published) ends
  with one complete item.
  Origin: ``settings.INSTALLATION_ID``, or the installation the object came from when it was
  received (inside ``received_from(origin, version)``, or as found in ``ReceivedItem``).
- ``payload_for(kind, obj) -> dict``: the item's payload. Shapes (every date ISO 8601, every
  time ISO 8601 with offset, every reference to another object by global id or unit code):

  unit:       {code, admin_code, code_set, name, area_name, kind, level, parent, active_from, active_to}
              (kind/level/code_set/parent are codes; a unit's object uuid is uuid5 of its code:
              the same unit is the same object in every installation)
  plan, guidance:
              {global_id, unit, kind, number, symbol, number_symbol, issuer_text, place, date, title,
               preamble, closing, status, document_version, issued_at, directive_year, signer_on_behalf,
               signer_title, signer_name, recipients, parent_plan (global id or null),
               legal_bases: [{order, text, reference, reference_date}],
               sections: [{number, title, text, order, parent (number or null)}],
               tasks: [{uuid, number, bullet, heading, order, section (number or null), text, steps,
                        output, notes, timeframe_text, timeframe, carried_as,
                        parent_task (uuid or null),
                        parties: [{role, order, group, text, kind, relative_code, scope, unit (code or null)}]}],
               responsibilities: [{order, number, party, text}],
               dispatches: [{kind, from_version, to_version, note, due_date, sent_at, levels: [code], kinds: [code]}]}
  report:     {global_id, unit, year, version, status, due_date, summary, first_submitted_at,
               submitted_at, accepted_at, plan (global id or null),
               progress: [{task (uuid), task_number, task_text, period_key, period_label, period_start,
                           period_end, due, status, percent, narrative, reason}],
               indicators: {indicator code: value}}
  inspection: {global_id, unit (inspected, code), inspecting_unit (code), inspection_plan (global id),
               inspection_plan_title, inspection_plan_number, inspection_plan_symbol, inspection_plan_start,
               inspection_plan_end, year, window_start, window_end, status, findings, assessment, assessment_text,
               conclusion_number, conclusion_symbol, conclusion_date, conclusion_text, concluded_at,
               recommendations: [{number, text, responsible, responsible_unit (code or null),
                                  deadline, status}]}
"""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

from django.conf import settings
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from sync.models.changes import SCHEMA_VERSION, ChangeKind, ChangeRecord

__all__ = [
    "SCHEMA_VERSION", "ChangeKind", "record_change", "record_many", "payload_for", "unit_uuid", "global_id",
    "received_from", "object_uuid", "unit_of",
]

# Units have no uuid of their own: their code is national (the code sets are shared), so a uuid
# derived from it names the same unit in every installation.
UNIT_NAMESPACE = uuid.UUID("5f0c6a52-6d0e-4b8e-9a53-6d7474710001")

_received: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar("sync_received", default=None)


@contextmanager
def received_from(origin: str, version: int):
    """Changes recorded inside carry the origin and version of the item being applied (a received
    object keeps its owner's global id and version when it travels on)."""
    token = _received.set((origin, version))
    try:
        yield
    finally:
        _received.reset(token)


def unit_uuid(code: str) -> uuid.UUID:
    return uuid.uuid5(UNIT_NAMESPACE, code)


def object_uuid(kind: str, obj) -> uuid.UUID:
    return unit_uuid(obj.code) if kind == ChangeKind.UNIT else obj.uuid


def unit_of(kind: str, obj):
    """The unit whose subtree the item belongs to (what the feed is restricted by)."""
    return obj if kind == ChangeKind.UNIT else obj.unit


def _origins(uuids) -> dict[uuid.UUID, tuple[str, int]]:
    from sync.models import ReceivedItem

    return {u: (origin, version) for u, origin, version in
            ReceivedItem.objects.filter(object_uuid__in=list(uuids)).values_list("object_uuid", "origin", "version")}


def global_id(obj_uuid, origin: str | None = None) -> str | None:
    """``<installation>:<uuid>`` of an object (None for None); a received object keeps its origin."""
    if obj_uuid is None:
        return None
    if origin is None:
        found = _origins([obj_uuid]).get(obj_uuid)
        origin = found[0] if found else settings.INSTALLATION_ID
    return f"{origin}:{obj_uuid}"


# -- payloads ------------------------------------------------------------------------------------

def _iso(value):
    return value.isoformat() if value is not None else None


def _code(unit):
    return unit.code if unit is not None else None


def unit_payload(unit) -> dict:
    return {
        "code": unit.code, "admin_code": unit.admin_code, "code_set": _code(unit.code_set), "name": unit.name,
        "area_name": unit.area_name, "kind": unit.kind.code, "level": unit.level.code,
        "parent": unit.parent.code if unit.parent_id else None,
        "active_from": _iso(unit.active_from), "active_to": _iso(unit.active_to),
    }


def _by(rows, *keys):
    return sorted(rows, key=lambda row: tuple(getattr(row, key) for key in keys))


def document_payload(document, origins: dict | None = None) -> dict:
    """``document`` loaded by ``_load`` (its parts prefetched); ``origins``: received objects'
    origins when known in bulk."""
    gid = (lambda u: global_id(u, (origins.get(u) or (settings.INSTALLATION_ID,))[0])) if origins is not None else global_id
    tasks = [t for t in _by(document.tasks.all(), "order", "pk") if not t.withdrawn]
    return {
        "global_id": gid(document.uuid),
        "unit": document.unit.code, "kind": document.kind, "number": document.number, "symbol": document.symbol,
        "number_symbol": document.number_symbol, "issuer_text": document.issuer_text, "place": document.place,
        "date": _iso(document.date), "title": document.title, "preamble": document.preamble,
        "closing": document.closing, "status": document.status, "document_version": document.version,
        "issued_at": _iso(document.issued_at), "directive_year": document.directive_year,
        "signer_on_behalf": document.signer_on_behalf, "signer_title": document.signer_title,
        "signer_name": document.signer_name, "recipients": document.recipients,
        "parent_plan": gid(document.parent_plan.uuid) if document.parent_plan_id else None,
        "legal_bases": [
            {"order": b.order, "text": b.text, "reference": b.reference, "reference_date": _iso(b.reference_date)}
            for b in _by(document.legal_bases.all(), "order", "pk")
        ],
        "sections": [
            {"number": s.number, "title": s.title, "text": s.text, "order": s.order,
             "parent": s.parent.number if s.parent_id else None}
            for s in _by(document.sections.all(), "order", "pk")
        ],
        "tasks": [
            {
                "uuid": str(t.uuid), "number": t.number, "bullet": t.bullet, "heading": t.heading, "order": t.order,
                "section": t.section.number if t.section_id else None, "text": t.text, "steps": t.steps,
                "output": t.output, "notes": t.notes, "timeframe_text": t.timeframe_text, "timeframe": t.timeframe,
                "carried_as": t.carried_as, "parent_task": str(t.parent_task.uuid) if t.parent_task_id else None,
                "parties": [
                    {"role": p.role, "order": p.order, "group": p.group, "text": p.text, "kind": p.kind,
                     "relative_code": p.relative_code, "scope": p.scope, "unit": _code(p.unit)}
                    for p in _by(t.parties.all(), "role", "order", "pk")
                ],
            }
            for t in tasks
        ],
        "responsibilities": [
            {"order": r.order, "number": r.number, "party": r.party, "text": r.text}
            for r in _by(document.responsibilities.all(), "order", "pk")
        ],
        "dispatches": [
            {"kind": d.kind, "from_version": d.from_version, "to_version": d.to_version, "note": d.note,
             "due_date": _iso(d.due_date), "sent_at": _iso(d.sent_at),
             "levels": sorted(level.code for level in d.levels.all()),
             "kinds": sorted(kind.code for kind in d.kinds.all())}
            for d in _by(document.dispatches.all(), "sent_at", "pk")
        ],
    }


def report_payload(report, origins: dict | None = None) -> dict:
    gid = (lambda u: global_id(u, (origins.get(u) or (settings.INSTALLATION_ID,))[0])) if origins is not None else global_id
    progress = sorted(report.progress.all(), key=lambda row: (row.due, row.task.order, row.period_key))
    return {
        "global_id": gid(report.uuid),
        "unit": report.unit.code, "year": report.year, "version": report.version, "status": report.status,
        "due_date": _iso(report.due_date), "summary": report.summary,
        "first_submitted_at": _iso(report.first_submitted_at), "submitted_at": _iso(report.submitted_at),
        "accepted_at": _iso(report.accepted_at),
        "plan": gid(report.plan.uuid) if report.plan_id else None,
        "progress": [
            {"task": str(row.task.uuid), "task_number": row.task.number, "task_text": row.task.text,
             "period_key": row.period_key, "period_label": row.period_label,
             "period_start": _iso(row.period_start), "period_end": _iso(row.period_end), "due": _iso(row.due),
             "status": row.status, "percent": row.percent, "narrative": row.narrative, "reason": row.reason}
            for row in progress
        ],
        "indicators": {value.indicator.code: value.value
                       for value in sorted(report.indicator_values.all(), key=lambda v: v.indicator.code)},
    }


def inspection_payload(inspection, origins: dict | None = None) -> dict:
    gid = (lambda u: global_id(u, (origins.get(u) or (settings.INSTALLATION_ID,))[0])) if origins is not None else global_id
    plan = inspection.plan
    return {
        "global_id": gid(inspection.uuid),
        "unit": inspection.unit.code, "inspecting_unit": plan.unit.code,
        # A plan received with its inspections keeps the global id it has where it was made.
        "inspection_plan": plan.received_from or gid(plan.uuid), "inspection_plan_title": plan.title,
        "inspection_plan_number": plan.number, "inspection_plan_symbol": plan.symbol,
        "inspection_plan_start": _iso(plan.start_date), "inspection_plan_end": _iso(plan.end_date), "year": plan.year,
        "window_start": _iso(inspection.window_start), "window_end": _iso(inspection.window_end),
        "status": inspection.status, "findings": inspection.findings, "assessment": inspection.assessment,
        "assessment_text": inspection.assessment_text, "conclusion_number": inspection.conclusion_number,
        "conclusion_symbol": inspection.conclusion_symbol, "conclusion_date": _iso(inspection.conclusion_date),
        "conclusion_text": inspection.conclusion_text, "concluded_at": _iso(inspection.concluded_at),
        "recommendations": [
            {"number": r.number, "text": r.text, "responsible": r.responsible,
             "responsible_unit": _code(r.responsible_unit), "deadline": _iso(r.deadline), "status": r.status}
            for r in _by(inspection.recommendations.all(), "number", "pk")
        ],
    }


def _load(kind: str, pks):
    """The objects of ``kind`` with everything their payloads read, in a fixed number of queries."""
    from django.db.models import Prefetch

    from inspections.models import Inspection
    from orgtree.models import OrgUnit
    from plans.models import PlanDocument, Task
    from reviews.models import TaskProgress, UnitReport

    kind = ChangeKind(kind)
    if kind == ChangeKind.UNIT:
        return OrgUnit.objects.filter(pk__in=pks).select_related("code_set", "kind", "level", "parent")
    if kind in (ChangeKind.PLAN, ChangeKind.GUIDANCE):
        return PlanDocument.objects.filter(pk__in=pks).select_related("unit", "parent_plan").prefetch_related(
            "legal_bases", Prefetch("sections", queryset=_sections()),
            Prefetch("tasks", queryset=Task.with_withdrawn.select_related("section", "parent_task")),
            "tasks__parties__unit", "responsibilities", "dispatches__levels", "dispatches__kinds",
        )
    if kind == ChangeKind.REPORT:
        return UnitReport.objects.filter(pk__in=pks).select_related("unit", "plan").prefetch_related(
            Prefetch("progress", queryset=TaskProgress.objects.select_related("task")),
            "indicator_values__indicator",
        )
    return Inspection.objects.filter(pk__in=pks).select_related("unit", "plan__unit").prefetch_related(
        "recommendations__responsible_unit")


def _sections():
    """Sections with their parent's number."""
    from plans.models import Section

    return Section.objects.select_related("parent")


_PAYLOADS = {
    ChangeKind.UNIT: lambda unit, origins=None: unit_payload(unit),
    ChangeKind.PLAN: document_payload,
    ChangeKind.GUIDANCE: document_payload,
    ChangeKind.REPORT: report_payload,
    ChangeKind.INSPECTION: inspection_payload,
}


def payload_for(kind: str, obj, origins: dict | None = None) -> dict:
    """The payload of ``obj`` as it stands in the database (its parts are read afresh)."""
    kind = ChangeKind(kind)
    loaded = _load(kind, [obj.pk]).first()
    return _PAYLOADS[kind](loaded, origins)


# -- writing -------------------------------------------------------------------------------------

def _this_transaction():
    return RawSQL("txid = pg_current_xact_id()::text::bigint", [], output_field=BooleanField())


def record_change(kind: str, obj, *, origin: str | None = None, version: int | None = None,
                  refresh_only: bool = False) -> ChangeRecord | None:
    """Write a new version of ``obj`` to the log in the caller's transaction (see the module doc).
    ``refresh_only``: complete the row this transaction already wrote for ``obj`` with its parts
    saved since (None if there is none). An explicit ``version`` (a report's, a received item's)
    that this transaction already wrote is completed too, not written twice."""
    kind = ChangeKind(kind)
    obj_uuid = object_uuid(kind, obj)
    received = _received.get()
    if origin is None and received is not None:
        origin, version = received[0], version or received[1]
    if origin is None:
        found = _origins([obj_uuid]).get(obj_uuid)
        origin, version = (found[0], version or found[1]) if found else (settings.INSTALLATION_ID, version)
    if version is None and kind == ChangeKind.REPORT:
        version = obj.version
    latest = (ChangeRecord.objects.filter(origin=origin, object_uuid=obj_uuid)
              .annotate(mine=_this_transaction()).order_by("-version", "-id")
              .values_list("id", "version", "mine").first())
    mine = latest is not None and latest[2] and (refresh_only or (version is not None and version == latest[1]))
    if refresh_only and not mine:
        return None
    payload = payload_for(kind, obj)
    unit_id = unit_of(kind, obj).pk
    if mine:
        # Written earlier in this transaction: complete it rather than add a second version.
        ChangeRecord.objects.filter(pk=latest[0]).update(payload=payload, kind=kind, unit_id=unit_id)
        return ChangeRecord.objects.get(pk=latest[0])
    if version is None:
        version = (latest[1] + 1) if latest is not None else 1
    return ChangeRecord.objects.create(kind=kind, origin=origin, object_uuid=obj_uuid, version=version,
                                       unit_id=unit_id, schema_version=SCHEMA_VERSION, payload=payload)


def record_many(kind: str, objs, *, batch_size: int = 500) -> int:
    """One new record per object, in bulk (imports write thousands of units, the demo issues
    thousands of plans): a fixed number of queries per batch. Returns the number written."""
    kind = ChangeKind(kind)
    pks = [obj.pk for obj in objs]
    written = 0
    for start in range(0, len(pks), batch_size):
        loaded = list(_load(kind, pks[start:start + batch_size]))
        uuids = {obj.pk: object_uuid(kind, obj) for obj in loaded}
        referenced = set(uuids.values())
        if kind in (ChangeKind.PLAN, ChangeKind.GUIDANCE):
            referenced |= {obj.parent_plan.uuid for obj in loaded if obj.parent_plan_id}
        received = _origins(referenced)
        latest = {}
        for origin, obj_uuid, version in (ChangeRecord.objects.filter(object_uuid__in=list(uuids.values()))
                                          .values_list("origin", "object_uuid", "version")):
            latest[(origin, obj_uuid)] = max(version, latest.get((origin, obj_uuid), 0))
        records = []
        for obj in loaded:
            obj_uuid = uuids[obj.pk]
            origin = received.get(obj_uuid, (settings.INSTALLATION_ID,))[0]
            version = obj.version if kind == ChangeKind.REPORT else latest.get((origin, obj_uuid), 0) + 1
            records.append(ChangeRecord(kind=kind, origin=origin, object_uuid=obj_uuid, version=version,
                                        unit_id=unit_of(kind, obj).pk, schema_version=SCHEMA_VERSION,
                                        payload=_PAYLOADS[kind](obj, received)))
        ChangeRecord.objects.bulk_create(records, batch_size=1000)
        written += len(records)
    return written
