"""Checklists of an inspection (issue 5, item 2): generated, filled by several team members, evidence.

A checklist is generated from (a) the tasks of the inspected unit's own issued plan derived, step
by step, from the inspecting unit's plan (a commune's plan -> its district's -> the province's),
each with the progress the unit reported for the inspection year copied in, and (b) the items of a
checklist template kept as data (Directive 18 by default). Generating again keeps every item and
what was recorded on it and only adds what is missing.

Several inspectors fill the same checklist. Each item carries a ``version``: a save names the
version its form was read at and is one ``UPDATE ... WHERE version = %s``; a stale one changes
nothing and is refused (``StaleChecklistItem``) with who changed the item and its current values,
so that the form can show both what was typed and what is saved.

Who may write: ``rules.can_fill_checklist`` (a team member, or staff of the inspecting unit, while
the inspection is neither concluded nor cancelled).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.formats import date_format

from inspections.models import (
    ChecklistEvidence, ChecklistItem, ChecklistResult, ChecklistTemplate, Inspection, InspectionStatus, ItemSource,
)
from inspections.reference_data import DIRECTIVE_18
from inspections.services import rules
from inspections.services.errors import InspectionError
from mttq_platform.audit import _entry as audit_entry, bulk_create_audited
from plans.models import DocumentKind, PlanDocument, Task
from reviews.models import TaskProgress
from reviews.models.reports import private_storage
from reviews.services.evidence import check_evidence_file, delete_with_file, stored_name
from reviews.services.progress import audited_as

# The plan in force: an issued plan, or one amended since (a superseded one is not).
CURRENT_PLAN_STATUSES = ("issued", "amended")
PLAN_GROUP = "Nhiệm vụ theo kế hoạch của đơn vị"
TEMPLATE_ORDER_BASE = 100_000  # template items after the plan's tasks, whatever their number
NOTE_MAX = 5000
RESULT_EN = {"pending": "not assessed", "compliant": "compliant", "partly": "partly compliant",
             "not_compliant": "not compliant", "not_applicable": "not applicable"}


class StaleChecklistItem(InspectionError):
    """A save made on an item that somebody changed since the form was read. ``current`` is the
    item as saved now; ``submitted`` what the refused form carried."""

    def __init__(self, message_vi, message_en, *, current: ChecklistItem, submitted: dict):
        super().__init__(message_vi, message_en, code="stale")
        self.current = current
        self.submitted = submitted


@dataclass
class Generated:
    plan: PlanDocument | None  # the inspected unit's derived plan the tasks came from
    template: ChecklistTemplate | None
    added: int
    kept: int


def person(user) -> str:
    if user is None:
        return "?"
    return user.get_full_name() or user.get_username()


# -- who may write ------------------------------------------------------------------------------------------
def ensure_fillable(user, inspection: Inspection) -> None:
    if inspection.status == InspectionStatus.CONCLUDED:
        raise InspectionError("Cuộc kiểm tra đã có kết luận; danh mục kiểm tra không sửa được nữa.",
                              "The inspection is concluded; its checklist can no longer be changed.", code="closed")
    if inspection.status == InspectionStatus.CANCELLED:
        raise InspectionError("Cuộc kiểm tra đã bị hủy; danh mục kiểm tra không sửa được.",
                              "The inspection was cancelled; its checklist cannot be changed.", code="closed")
    if not rules.can_fill_checklist(user, inspection):
        raise InspectionError("Chỉ thành viên đoàn kiểm tra hoặc cán bộ của đơn vị kiểm tra được ghi danh mục kiểm tra.",
                              "Only the inspection team or the inspecting unit's staff may fill the checklist.",
                              code="permission_denied")


def _fresh_inspection(inspection_id: int, *, lock: bool = False) -> Inspection:
    queryset = Inspection.objects.select_related("plan", "unit", "team")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.get(pk=inspection_id)


# -- generation ---------------------------------------------------------------------------------------------
def derived_plan(inspection: Inspection) -> PlanDocument | None:
    """The inspected unit's plan in force whose ``parent_plan`` chain leads to a plan of the
    inspecting unit (the latest such plan). A chain is at most as long as the tree is deep."""
    inspecting_unit_id = inspection.plan.unit_id
    candidates = (
        PlanDocument.objects.filter(unit_id=inspection.unit_id, kind=DocumentKind.PLAN, status__in=CURRENT_PLAN_STATUSES)
        .order_by("-date", "-issued_at", "-pk").only("pk", "parent_plan_id")
    )
    parents: dict[int, tuple[int, int | None]] = {}  # plan id -> (unit id, parent plan id), read as needed
    for candidate in candidates:
        parent_id, seen = candidate.parent_plan_id, {candidate.pk}
        while parent_id is not None and parent_id not in seen:
            seen.add(parent_id)
            if parent_id not in parents:
                row = PlanDocument.objects.filter(pk=parent_id).values_list("unit_id", "parent_plan_id").first()
                if row is None:
                    break
                parents[parent_id] = row
            unit_id, next_id = parents[parent_id]
            if unit_id == inspecting_unit_id:
                return PlanDocument.objects.get(pk=candidate.pk)
            parent_id = next_id
    return None


def active_template() -> ChecklistTemplate | None:
    """The Directive 18 template when active, else the first active one."""
    templates = list(ChecklistTemplate.objects.filter(active=True))
    return next((t for t in templates if t.code == DIRECTIVE_18[0]), templates[0] if templates else None)


def task_text(task: Task) -> str:
    words = f"{task.heading.strip()}: {task.text}" if task.bullet and task.heading.strip() else task.text
    return f"{task.number} {words}".strip() if task.number else words


def reported_texts(unit_id: int, year: int, task_ids) -> dict[int, str]:
    """{task id: what the unit reported for it in ``year``}: one line per reporting period (status,
    percent, narrative, number of evidence files)."""
    rows = (
        TaskProgress.objects.filter(report__unit_id=unit_id, report__year=year, task_id__in=list(task_ids))
        .annotate(evidence_count=Count("evidence")).order_by("task_id", "due", "period_key")
    )
    lines = defaultdict(list)
    for row in rows:
        line = f"{row.period_label}: {row.get_status_display()}"
        if row.percent is not None and row.status == "in_progress":
            line += f" ({row.percent}%)"
        if row.narrative.strip():
            line += f" — {row.narrative.strip()}"
        if row.evidence_count:
            line += f" [{row.evidence_count} minh chứng]"
        lines[row.task_id].append(line)
    return {task_id: "\n".join(parts) for task_id, parts in lines.items()}


def generate_checklist(inspection: Inspection, *, user, template: ChecklistTemplate | None = None) -> Generated:
    """Add the checklist items the inspection is missing (plan tasks, then template items). Items
    already there keep their result, note, version and evidence; the ``reported`` text of plan
    items is brought up to date (it is the unit's, not the team's, and is not versioned)."""
    with transaction.atomic(), audited_as(user):
        # The inspection row is locked: two generations at once would add the items twice.
        inspection = _fresh_inspection(inspection.pk, lock=True)
        ensure_fillable(user, inspection)
        plan = derived_plan(inspection)
        template = template or active_template()
        existing = list(ChecklistItem.objects.filter(inspection=inspection))
        by_task = {item.task_id: item for item in existing if item.source == ItemSource.PLAN_TASK and item.task_id}
        by_template = {item.template_item_id: item for item in existing
                       if item.source == ItemSource.TEMPLATE and item.template_item_id}
        new = []
        if plan is not None:
            tasks = list(Task.objects.filter(document=plan).select_related("section").order_by("order", "pk"))
            reported = reported_texts(inspection.unit_id, inspection.plan.year, [t.pk for t in tasks])
            for position, task in enumerate(tasks, start=1):
                text = reported.get(task.pk, "")
                item = by_task.get(task.pk)
                if item is None:
                    group = " ".join(p for p in (task.section.number, task.section.title) if p) if task.section else ""
                    new.append(ChecklistItem(
                        inspection=inspection, order=position * 10, source=ItemSource.PLAN_TASK, task=task,
                        group=group or PLAN_GROUP, text=task_text(task), reported=text, updated_by=None,
                    ))
                elif item.reported != text:
                    item.reported = text
                    item.save(update_fields=["reported"])
        if template is not None:
            for template_item in template.items.order_by("order", "pk"):
                if template_item.pk not in by_template:
                    new.append(ChecklistItem(
                        inspection=inspection, order=TEMPLATE_ORDER_BASE + template_item.order,
                        source=ItemSource.TEMPLATE, template_item=template_item, group=template_item.group,
                        text=template_item.text, reported=template_item.guidance,
                    ))
        if new:
            bulk_create_audited(ChecklistItem, new)
    return Generated(plan=plan, template=template, added=len(new), kept=len(existing))


# -- recording a result -------------------------------------------------------------------------------------
def _clean_version(version) -> int:
    try:
        return int(version)
    except (TypeError, ValueError):
        raise InspectionError("Thiếu phiên bản của mục kiểm tra; hãy tải lại trang rồi ghi lại.",
                              "The item's version is missing; reload the page and save again.",
                              code="invalid") from None


def stale_error(item_id: int, submitted: dict) -> StaleChecklistItem:
    current = ChecklistItem.objects.select_related("updated_by").get(pk=item_id)
    when = date_format(timezone.localtime(current.updated_at), "d/m/Y H:i") if current.updated_at else "?"
    label = current.get_result_display()
    note = current.note.strip() or "—"
    who = person(current.updated_by)
    return StaleChecklistItem(
        f"Mục này đã được {who} sửa lúc {when} sau khi bạn mở trang, nên nội dung của bạn CHƯA được lưu. "
        f"Hiện đang lưu: kết quả “{label}”, ghi chú “{note}”. "
        "Nội dung bạn đã nhập vẫn còn trong biểu mẫu: hãy xem lại rồi bấm Lưu một lần nữa.",
        f"{who} changed this item at {when} after you opened it, so your entry was NOT saved. "
        f"Saved now: result “{RESULT_EN.get(current.result, current.result)}”, note “{note}”. "
        "What you typed is still in the form: check it and save again.",
        current=current, submitted=submitted,
    )


def record_result(item: ChecklistItem, *, user, result: str, note: str = "", version) -> ChecklistItem:
    """Record an inspector's result and note on ``item`` if it is still at ``version``; answers
    the item as saved (version bumped). Raises ``StaleChecklistItem`` when it is not."""
    if result not in ChecklistResult.values:
        raise InspectionError("Kết quả không hợp lệ.", f"Unknown result {result!r}.", code="invalid")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InspectionError(f"Ghi chú quá dài (tối đa {NOTE_MAX} ký tự).", f"The note is too long (at most {NOTE_MAX} characters).",
                              code="invalid")
    version = _clean_version(version)
    submitted = {"result": result, "note": note, "version": version}
    with transaction.atomic(), audited_as(user):
        fresh = ChecklistItem.objects.select_related("inspection__plan").get(pk=item.pk)
        ensure_fillable(user, _fresh_inspection(fresh.inspection_id))
        if fresh.version != version:
            raise stale_error(item.pk, submitted)
        before = {"result": fresh.result, "note": fresh.note, "version": fresh.version, "updated_by_id": fresh.updated_by_id}
        # The one write: it lands only if nobody saved in between (the version still matches).
        changed = ChecklistItem.objects.filter(pk=item.pk, version=version).update(
            result=result, note=note, version=F("version") + 1, updated_by=user, updated_at=timezone.now(),
        )
        if not changed:
            raise stale_error(item.pk, submitted)
        saved = ChecklistItem.objects.select_related("updated_by", "inspection__plan").get(pk=item.pk)
        after = {"result": saved.result, "note": saved.note, "version": saved.version, "updated_by_id": saved.updated_by_id}
        # A queryset update sends no signal: the audit row is written here, as a signal would.
        audit_entry(saved, "update", {k: v for k, v in before.items() if after[k] != v},
                    {k: v for k, v in after.items() if before[k] != v}).save()
    return saved


# -- evidence -----------------------------------------------------------------------------------------------
def attach_checklist_evidence(item: ChecklistItem, uploaded_file, *, user) -> ChecklistEvidence:
    """Store ``uploaded_file`` as evidence of ``item`` in the private storage, after the content
    and size checks evidence of reports gets (reviews.services.evidence)."""
    checked = check_evidence_file(uploaded_file)
    with transaction.atomic(), audited_as(user):
        fresh = ChecklistItem.objects.select_related("inspection").get(pk=item.pk)
        ensure_fillable(user, _fresh_inspection(fresh.inspection_id, lock=True))
        evidence = ChecklistEvidence(
            item=fresh, original_name=(uploaded_file.name or "")[:255], content_type=checked.content_type,
            size=checked.size, sha256=checked.sha256, uploaded_by=user if getattr(user, "pk", None) else None,
        )
        evidence.file.save(stored_name(uploaded_file.name, checked.extension), uploaded_file, save=False)
        stored = evidence.file.name
        try:
            evidence.save()
        except Exception:
            private_storage.delete(stored)
            raise
    return evidence


def remove_checklist_evidence(evidence: ChecklistEvidence, *, user) -> None:
    """Delete an evidence row while its checklist can be filled (by who may fill it); the file goes
    once the deletion is committed, so a rolled-back removal keeps it."""
    with transaction.atomic(), audited_as(user):
        row = ChecklistEvidence.objects.select_related("item").get(pk=evidence.pk)
        ensure_fillable(user, _fresh_inspection(row.item.inspection_id, lock=True))
        delete_with_file(row)
