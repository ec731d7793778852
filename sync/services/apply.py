"""Upward federation, receiving side: apply a child installation's batch at the parent.

Each item is applied in its own savepoint, idempotently by its global id (origin, object uuid)
and version (``ReceivedItem``): an item whose version this installation already holds (or a newer
one) is skipped, so a replayed batch changes nothing and an older version never overwrites a newer
one. An item that cannot be applied is parked (``ParkedItem``) with its reason in Vietnamese and
English — outside the child's subtree, an unknown schema version, failing validation — and the
items after it go on.

What an item becomes here:

- ``unit``: the unit, by code, created under its parent's code when missing, renamed or moved
  otherwise (through ``orgtree.services`` and ``OrgUnit.save``: the tree lock and the audit apply).
- ``report``: the parent's own rows for the unit, so the report counts in this installation's
  roll-up with the same numbers: a mirror of the child's plan (issued, ``source_name`` "sync:<global
  id>", never edited here), the ``UnitReport`` (accepted, same uuid and version), its progress rows
  and indicator values replaced from the payload, then ``report_data_changed`` so the cells follow.
- ``inspection``: the conclusion as this installation's own rows, so the inspections summary, the
  reviews' lists of inspections held and the API show it: the inspection plan (``received_from``
  its global id, never changed here), the concluded ``Inspection`` (same uuid) and its
  recommendations replaced from the payload. Internal notes, checklists, teams and answers stay
  where the inspection was made.
"""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from inspections.models import (Assessment, Inspection, InspectionPlan, InspectionPlanStatus, InspectionStatus,
                                 Recommendation, RecommendationStatus)
from mttq_platform.audit import acting_as, bulk_create_audited
from orgtree.models import CodeSet, OrgUnit, UnitKind
from orgtree.services import create_unit, move_unit
from plans.models import DocumentKind, DocumentStatus, PlanDocument, Task
from plans.services.guidance import SYNCED_SOURCE_PREFIX
from reviews.models import Indicator, IndicatorValue, ReportStatus, TaskProgress, UnitReport
from reviews.signals import report_data_changed
from sync.models import ChangeKind, ParkedItem, Peer, ReceivedItem
from sync.payloads import SCHEMA_VERSION, received_from, record_change
from sync.receivers import document_kind
from sync.services.scope import peer_may_write

SUPPORTED_SCHEMA_VERSIONS = frozenset({SCHEMA_VERSION})
APPLIED_KINDS = (ChangeKind.REPORT, ChangeKind.INSPECTION, ChangeKind.UNIT)


class ItemRefused(Exception):
    """An item this installation will not apply, with the reason shown on the status page."""

    def __init__(self, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi, self.message_en = message_vi, message_en

    @property
    def reason(self) -> str:
        return str(self)


@dataclass
class BatchResult:
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    parked: list[dict] = field(default_factory=list)  # {"global_id", "reason", "reason_en"}

    def as_dict(self) -> dict:
        return {"applied": self.applied, "skipped": self.skipped, "parked": self.parked}


# -- the batch -----------------------------------------------------------------------------------------------------
def apply_batch(peer: Peer, items: list[dict]) -> BatchResult:
    """Apply ``items`` from ``peer`` in order, each in its own savepoint, in one transaction: the
    answer is sent only once everything it reports is committed."""
    result = BatchResult()
    with acting_as(None, "sync"), transaction.atomic():
        # One delivery of a peer at a time (a retry may overlap a slow delivery): no two
        # transactions race to create the same ReceivedItem.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('sync.apply'), %s)", [peer.pk])
        for item in items:
            gid = _global_id(item)
            try:
                with transaction.atomic():
                    outcome = apply_item(peer, item)
            except ItemRefused as refused:
                outcome = refused
            except (ValidationError, ObjectDoesNotExist, KeyError, TypeError, ValueError, DatabaseError) as error:
                outcome = ItemRefused(f"Dữ liệu không hợp lệ: {_describe(error)}", f"Invalid data: {_describe(error)}")
            if isinstance(outcome, ItemRefused):
                park(peer, item, outcome.reason)
                result.parked.append({"global_id": gid, "reason": outcome.message_vi, "reason_en": outcome.message_en})
            elif outcome == "applied":
                result.applied.append(gid)
                resolve_parked(peer, item)
            else:
                result.skipped.append(gid)
    return result


def resolve_parked(peer: Peer, item: dict) -> None:
    """A version now applied settles the parked older (or equal) versions of the same object."""
    ParkedItem.objects.filter(
        peer=peer, direction="in", origin=item["origin"], object_uuid=_uuid_or_none(item["object_uuid"]),
        version__lte=item["version"], resolved_at__isnull=True,
    ).update(resolved_at=timezone.now())


def _global_id(item) -> str:
    if isinstance(item, dict):
        return item.get("global_id") or f"{item.get('origin', '?')}:{item.get('object_uuid', '?')}"
    return "?"


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, KeyError):
        return f"thiếu trường / missing field {error}"
    return str(error) or type(error).__name__


def park(peer: Peer, item, reason: str) -> ParkedItem:
    """Keep ``item`` with its reason; the same item parked again updates the one row."""
    item = item if isinstance(item, dict) else {"payload": item}
    object_uuid = _uuid_or_none(item.get("object_uuid"))
    version = item.get("version") if isinstance(item.get("version"), int) else None
    parked, created = ParkedItem.objects.get_or_create(
        peer=peer, direction="in", origin=str(item.get("origin", ""))[:64], object_uuid=object_uuid, version=version,
        kind=str(item.get("kind", ""))[:12], resolved_at=None,
        defaults={"payload": item, "reason": reason},
    )
    if not created and (parked.reason != reason or parked.payload != item):
        parked.reason, parked.payload = reason, item
        parked.save(update_fields=["reason", "payload"])
    return parked


def _uuid_or_none(value):
    try:
        return uuid_module.UUID(str(value))
    except (TypeError, ValueError):
        return None


# -- one item ------------------------------------------------------------------------------------------------------
def apply_item(peer: Peer, item: dict) -> str:
    """"applied" or "skipped" (a version held already); raises ItemRefused to park it."""
    kind, origin, object_uuid, version = _envelope(item)
    unit = _unit_in_scope(peer, item, kind)
    held = ReceivedItem.objects.select_for_update().filter(origin=origin, object_uuid=object_uuid).first()
    if held is not None and held.version >= version:
        return "skipped"
    # Recorded first: receivers of the changes below (sync.payloads.record_change) see that the
    # object was received and keep its origin.
    values = {"kind": kind, "version": version, "peer": peer, "unit": unit, "payload": item["payload"]}
    if held is None:
        ReceivedItem.objects.create(origin=origin, object_uuid=object_uuid, **values)
    else:
        for name, value in values.items():
            setattr(held, name, value)
        held.save()
    # What the changes below record in this installation's change log keeps the owner's global id.
    with received_from(origin, version):
        if kind == ChangeKind.UNIT:
            _apply_unit(peer, item["payload"])
        elif kind == ChangeKind.REPORT:
            _apply_report(unit, item["payload"], object_uuid, version)
        else:
            _apply_inspection(peer, unit, item["payload"], object_uuid)
    return "applied"


def _envelope(item) -> tuple[str, str, uuid_module.UUID, int]:
    if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
        raise ItemRefused("Mục không đúng cấu trúc (thiếu nội dung).", "Malformed item (no payload).")
    schema = item.get("schema_version")
    if schema not in SUPPORTED_SCHEMA_VERSIONS:
        raise ItemRefused(f"Phiên bản lược đồ không được hỗ trợ: {schema!r}.", f"Unsupported schema version: {schema!r}.")
    kind = item.get("kind")
    if kind not in APPLIED_KINDS:
        raise ItemRefused(f"Loại mục không nhận từ cấp dưới: {kind!r}.", f"Kind not accepted from a child: {kind!r}.")
    origin = item.get("origin")
    object_uuid = _uuid_or_none(item.get("object_uuid"))
    if not origin or object_uuid is None:
        raise ItemRefused("Mục thiếu mã toàn cục (cài đặt, uuid).", "The item has no global id (installation, uuid).")
    if origin == settings.INSTALLATION_ID:
        raise ItemRefused("Đối tượng do chính cài đặt này tạo: chỉ được sửa ở đây.",
                          "The object was made by this installation: only it may change it.")
    version = item.get("version")
    if not isinstance(version, int) or version < 1:
        raise ItemRefused(f"Phiên bản không hợp lệ: {version!r}.", f"Invalid version: {version!r}.")
    return kind, origin, object_uuid, version


def _unit_in_scope(peer: Peer, item: dict, kind: str) -> OrgUnit | None:
    """The item's unit, refused when it lies outside the child's subtree. A new unit is judged by
    the parent it is to be created under."""
    code = item.get("unit") or item["payload"].get("unit") or item["payload"].get("code")
    unit = OrgUnit.objects.filter(code=code).first() if code else None
    judged = unit
    if unit is None and kind == ChangeKind.UNIT:
        parent_code = item["payload"].get("parent")
        judged = OrgUnit.objects.filter(code=parent_code).first() if parent_code else None
    if judged is None:
        raise ItemRefused(f"Không có đơn vị mã {code!r} ở cài đặt này.", f"No unit with code {code!r} here.")
    if not peer_may_write(peer, judged):
        raise ItemRefused(
            f"Đơn vị {judged.code} nằm ngoài phạm vi của cài đặt {peer.name} ({peer.unit.code}).",
            f"Unit {judged.code} is outside the subtree of installation {peer.name} ({peer.unit.code}).",
        )
    return unit


# -- units ---------------------------------------------------------------------------------------------------------
def _apply_unit(peer: Peer, payload: dict) -> OrgUnit:
    code = payload["code"]
    kind = UnitKind.objects.get(code=payload["kind"])
    parent_code = payload.get("parent")
    parent = OrgUnit.objects.get(code=parent_code) if parent_code else None
    if parent is None or not peer_may_write(peer, parent):
        unit = OrgUnit.objects.filter(code=code).first()
        # The child's own root keeps its place here: only its name and dates may change.
        if unit is None or unit.pk != peer.unit_id:
            raise ItemRefused(
                f"Cấp trên mới của đơn vị {code} ({parent_code}) nằm ngoài phạm vi của cài đặt {peer.name}.",
                f"The new parent of unit {code} ({parent_code}) is outside the subtree of installation {peer.name}.",
            )
        parent = unit.parent
    fields = {
        "name": payload["name"],
        "kind": kind,
        "area_name": payload.get("area_name", ""),
        "admin_code": payload.get("admin_code", ""),
        "code_set": CodeSet.objects.get(code=payload["code_set"]) if payload.get("code_set") else None,
        "active_from": _date(payload.get("active_from")),
        "active_to": _date(payload.get("active_to")),
    }
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        return create_unit(code=code, parent=parent, **fields)
    changed = [name for name, value in fields.items() if getattr(unit, name) != value]
    if changed:
        for name in changed:
            setattr(unit, name, fields[name])
        unit.full_clean(exclude=["parent", "level", "lft", "rght", "tree_id"])
        unit.save()
    if unit.parent_id != (parent.pk if parent else None):
        move_unit(unit, parent)
    return unit


# -- reports -------------------------------------------------------------------------------------------------------
def _apply_report(unit: OrgUnit, payload: dict, object_uuid, version: int) -> UnitReport:
    if payload.get("status", ReportStatus.ACCEPTED) != ReportStatus.ACCEPTED:
        raise ItemRefused("Chỉ nhận báo cáo đã được chấp nhận.", "Only accepted reports are received.")
    year = int(payload["year"])
    plan = _mirror_plan(unit, payload)
    tasks = _mirror_tasks(plan, payload.get("progress", [])) if plan is not None else {}
    report = UnitReport.objects.select_for_update().filter(unit=unit, year=year).first()
    if report is not None and report.uuid != object_uuid:
        raise ItemRefused(
            f"Cài đặt này đã có báo cáo năm {year} của đơn vị {unit.code} do chính mình quản lý.",
            f"This installation holds its own {year} report of unit {unit.code}.",
        )
    fields = {
        "plan": plan, "due_date": _date(payload["due_date"]), "summary": payload.get("summary", ""),
        "first_submitted_at": _datetime(payload.get("first_submitted_at")),
        "submitted_at": _datetime(payload.get("submitted_at")),
        "accepted_at": _datetime(payload.get("accepted_at")),
    }
    if report is None:
        # Drafted first, accepted once its parts are in: what records the acceptance in this
        # installation's change log (sync.receivers) then carries the whole report.
        report = UnitReport(uuid=object_uuid, unit=unit, year=year, status=ReportStatus.DRAFT, version=version)
    for name, value in fields.items():
        setattr(report, name, value)
    report.full_clean(exclude=["uuid", "plan", "unit", "accepted_by"], validate_unique=False)
    report.save()
    report.progress.all().delete()
    bulk_create_audited(TaskProgress, [_progress_row(report, tasks, row) for row in payload.get("progress", [])])
    report.indicator_values.all().delete()
    bulk_create_audited(IndicatorValue, _indicator_values(report, payload.get("indicators") or {}))
    report.status, report.version = ReportStatus.ACCEPTED, version
    report.save(update_fields=["status", "version", "updated_at"])
    report_data_changed.send(UnitReport, report_ids=[report.pk])
    return report


def _mirror_plan(unit: OrgUnit, payload: dict) -> PlanDocument | None:
    """The plan the report follows, as held here: this installation's own document when the plan
    is one of its own (or received before), else a mirror made for the report's tasks. None for a
    report without a plan (indicators only)."""
    global_id = payload.get("plan")
    if not global_id:
        if payload.get("progress"):
            raise ItemRefused("Báo cáo có tiến độ nhiệm vụ nhưng không nêu kế hoạch.",
                              "The report has task progress but names no plan.")
        return None
    plan_uuid = _uuid_or_none(str(global_id).rpartition(":")[2])
    if plan_uuid is None:
        raise ItemRefused(f"Mã kế hoạch không hợp lệ: {global_id!r}.", f"Invalid plan id: {global_id!r}.")
    plan = PlanDocument.objects.filter(uuid=plan_uuid).first()
    if plan is None:
        plan = PlanDocument.objects.create(
            uuid=plan_uuid, unit=unit, kind=DocumentKind.PLAN, status=DocumentStatus.ISSUED, issued_at=timezone.now(),
            title=f"Kế hoạch của {unit.name} (nhận từ cài đặt cấp dưới)",
            source_name=f"{SYNCED_SOURCE_PREFIX}{global_id}",
        )
    return plan


def _mirror_tasks(plan: PlanDocument, progress: list[dict]) -> dict:
    """Task uuid -> Task of the tasks the progress rows name, made in the mirror when missing."""
    named = {}
    for row in progress:
        named.setdefault(str(row["task"]), row)
    tasks = {str(t.uuid): t for t in Task.with_withdrawn.filter(uuid__in=list(named))}
    is_mirror = plan.source_name.startswith(SYNCED_SOURCE_PREFIX)
    order = plan.tasks.count()
    missing = []
    for key, row in named.items():
        task = tasks.get(key)
        number, text = row.get("task_number", ""), row.get("task_text") or row.get("task_number") or key
        if task is None:
            if not is_mirror:
                raise ItemRefused(f"Kế hoạch {plan} không có nhiệm vụ {key}.", f"Plan {plan} has no task {key}.")
            order += 1
            task = tasks[key] = Task(uuid=key, document=plan, number=number, text=text, order=order)
            missing.append(task)
        elif task.document_id == plan.pk and is_mirror and (task.number, task.text) != (number, text):
            task.number, task.text = number, text
            task.save(update_fields=["number", "text"])
    if missing:
        # In bulk (audited), then the mirror's row in the change log completed once: saving the
        # tasks one by one would rebuild the plan's whole payload after each of them.
        bulk_create_audited(Task, missing)
        record_change(document_kind(plan), plan, refresh_only=True)
    return tasks


# -- inspection conclusions ------------------------------------------------------------------------------------
def _apply_inspection(peer: Peer, unit: OrgUnit, payload: dict, object_uuid) -> Inspection:
    if payload.get("status", InspectionStatus.CONCLUDED) != InspectionStatus.CONCLUDED:
        raise ItemRefused("Chỉ nhận cuộc kiểm tra đã có kết luận.", "Only concluded inspections are received.")
    plan = _received_inspection_plan(peer, unit, payload)
    inspection = Inspection.objects.select_for_update().filter(uuid=object_uuid).first()
    if inspection is not None and inspection.plan_id != plan.pk:
        raise ItemRefused("Cuộc kiểm tra đã có ở đây thuộc một kế hoạch kiểm tra khác.",
                          "The inspection held here belongs to another inspection plan.")
    if inspection is None and Inspection.objects.filter(plan=plan, unit=unit).exists():
        raise ItemRefused(f"Kế hoạch kiểm tra đã có một cuộc kiểm tra khác của đơn vị {unit.code}.",
                          f"The inspection plan already holds another inspection of unit {unit.code}.")
    assessment = payload.get("assessment") or ""
    if assessment and assessment not in Assessment.values:
        raise ValueError(f"đánh giá không hợp lệ / invalid assessment: {assessment!r}")
    fields = {
        "window_start": _date(payload.get("window_start")) or plan.start_date,
        "window_end": _date(payload.get("window_end")) or plan.end_date,
        "status": InspectionStatus.CONCLUDED, "findings": payload.get("findings") or "",
        "assessment": assessment, "assessment_text": payload.get("assessment_text") or "",
        "conclusion_number": payload.get("conclusion_number") or "",
        "conclusion_symbol": payload.get("conclusion_symbol") or "",
        "conclusion_date": _date(payload.get("conclusion_date")),
        "conclusion_text": payload.get("conclusion_text") or "",
        "concluded_at": _datetime(payload.get("concluded_at")),
    }
    if inspection is None:
        inspection = Inspection(uuid=object_uuid, plan=plan, unit=unit)
    for name, value in fields.items():
        setattr(inspection, name, value)
    inspection.full_clean(exclude=["uuid", "plan", "unit", "team"], validate_unique=False)
    inspection.save()
    inspection.recommendations.all().delete()
    # In bulk: the change log's row of the inspection is completed once, below, not per row.
    bulk_create_audited(Recommendation, [_recommendation(inspection, row) for row in payload.get("recommendations") or []])
    record_change(ChangeKind.INSPECTION, inspection)
    return inspection


def _received_inspection_plan(peer: Peer, unit: OrgUnit, payload: dict) -> InspectionPlan:
    """The inspection plan of a received conclusion, as held here (made on first sight)."""
    global_id = str(payload["inspection_plan"])
    plan_uuid = _uuid_or_none(global_id.rpartition(":")[2])
    if plan_uuid is None:
        raise ItemRefused(f"Mã kế hoạch kiểm tra không hợp lệ: {global_id!r}.", f"Invalid inspection plan id: {global_id!r}.")
    inspecting = OrgUnit.objects.filter(code=payload.get("inspecting_unit")).first()
    if inspecting is None or not peer_may_write(peer, inspecting):
        code = payload.get("inspecting_unit")
        raise ItemRefused(f"Đơn vị kiểm tra {code!r} không có ở đây hoặc nằm ngoài phạm vi của cài đặt {peer.name}.",
                          f"Inspecting unit {code!r} is unknown here or outside the subtree of installation {peer.name}.")
    if not (inspecting.tree_id == unit.tree_id and inspecting.lft <= unit.lft <= inspecting.rght):
        raise ItemRefused(f"Đơn vị {unit.code} không thuộc cấp dưới của đơn vị kiểm tra {inspecting.code}.",
                          f"Unit {unit.code} is not below the inspecting unit {inspecting.code}.")
    plan = InspectionPlan.objects.select_for_update().filter(uuid=plan_uuid).first()
    if plan is not None and not plan.received_from:
        raise ItemRefused("Kế hoạch kiểm tra này do chính cài đặt này lập: chỉ được sửa ở đây.",
                          "This inspection plan was made by this installation: only it may change it.")
    year = int(payload["year"])
    start = _date(payload.get("inspection_plan_start")) or date(year, 1, 1)
    fields = {
        "unit": inspecting, "title": payload.get("inspection_plan_title") or f"Kế hoạch kiểm tra năm {year}",
        "number": payload.get("inspection_plan_number") or "", "symbol": payload.get("inspection_plan_symbol") or "",
        "year": year, "start_date": start, "end_date": _date(payload.get("inspection_plan_end")) or max(start, date(year, 12, 31)),
        "status": InspectionPlanStatus.ISSUED, "received_from": global_id,
    }
    if plan is None:
        return InspectionPlan.objects.create(uuid=plan_uuid, **fields)
    changed = [name for name, value in fields.items() if getattr(plan, name) != value]
    if changed:
        for name in changed:
            setattr(plan, name, fields[name])
        plan.save(update_fields=[*changed, "updated_at"])
    return plan


def _recommendation(inspection: Inspection, row: dict) -> Recommendation:
    status = row.get("status") or RecommendationStatus.OPEN
    if status not in RecommendationStatus.values:
        raise ValueError(f"trạng thái kiến nghị không hợp lệ / invalid recommendation status: {status!r}")
    code = row.get("responsible_unit")
    recommendation = Recommendation(
        inspection=inspection, number=int(row.get("number") or 1), text=row["text"],
        responsible=row.get("responsible") or "", deadline=_date(row["deadline"]), status=status,
        # A responsible unit unknown here is kept as its name only.
        responsible_unit=OrgUnit.objects.filter(code=code).first() if code else None,
    )
    recommendation.full_clean(exclude=["inspection", "responsible_unit", "closed_by"], validate_unique=False)
    return recommendation


def _progress_row(report: UnitReport, tasks: dict, row: dict) -> TaskProgress:
    progress = TaskProgress(
        report=report, task=tasks[str(row["task"])], period_key=row["period_key"],
        period_label=row.get("period_label", row["period_key"]),
        period_start=_date(row["period_start"]), period_end=_date(row["period_end"]), due=_date(row["due"]),
        status=row["status"], percent=row.get("percent"), narrative=row.get("narrative") or "",
        reason=row.get("reason") or "",
    )
    progress.full_clean(exclude=["report", "task"], validate_unique=False, validate_constraints=False)
    return progress


def _indicator_values(report: UnitReport, values: dict) -> list[IndicatorValue]:
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=list(values))}
    unknown = sorted(set(values) - set(indicators))
    if unknown:
        raise ItemRefused(f"Chỉ tiêu không có ở cài đặt này: {', '.join(unknown)}.",
                          f"Indicators unknown here: {', '.join(unknown)}.")
    rows = []
    for code, value in values.items():
        if isinstance(value, dict):
            value, note = value.get("value"), value.get("note", "")
        else:
            note = ""
        if not isinstance(value, int) or value < 0:
            raise ItemRefused(f"Giá trị chỉ tiêu {code} không hợp lệ: {value!r}.", f"Invalid value of indicator {code}: {value!r}.")
        rows.append(IndicatorValue(report=report, indicator=indicators[code], value=value, note=note))
    return rows


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value)[:10])
    if parsed is None:
        raise ValueError(f"ngày không hợp lệ / invalid date: {value!r}")
    return parsed


def _datetime(value) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"thời điểm không hợp lệ / invalid datetime: {value!r}")
    return parsed
