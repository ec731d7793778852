"""Issuing, amending and sending documents down the tree; each receiving unit's inbox.

- ``issue``: a draft becomes the issued version 1 (a frozen snapshot is kept).
- ``amending``: edits to an issued plan made inside the block become the next version; every unit
  whose plan derives from it (at any depth) gets an inbox item with a per-task diff against its
  own plan, and chooses per change to apply it or keep its own text.
- ``send_guidance``: a guidance document reaches every unit of the sender's subtree, or only the
  chosen levels or kinds.
- ``follow_up``: per receiving unit, not seen / seen / acted, and who is late.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mttq_platform.audit import acting_as, bulk_create_audited
from mttq_platform.permissions import can
from orgtree.models import OrgUnit
from plans.models import (
    AmendmentDecision, Dispatch, DocumentKind, DocumentStatus, InboxItem, PlanDocument, PlanVersion, Task,
)

# What a unit may take over from a changed task of the plan above.
TASK_FIELDS = ("number", "text", "steps", "output", "timeframe_text", "timeframe")


def snapshot(document: PlanDocument) -> dict:
    """The document's text as a plain dict: what a version freezes and what diffs compare."""
    tasks = document.tasks.prefetch_related("parties").order_by("order")
    return {
        "title": document.title,
        "number_symbol": document.number_symbol,
        "tasks": {
            str(task.pk): {
                **{name: getattr(task, name) for name in TASK_FIELDS},
                "leads": [p.text for p in task.parties.all() if p.role == "lead"],
                "coordinators": [p.text for p in task.parties.all() if p.role == "coordinator"],
            }
            for task in tasks
        },
    }


# Documents received from another installation (sync.services.pull) carry this source_name prefix.
# Their issuing installation is their only writer: here they are read and derived from, never edited.
SYNCED_SOURCE_PREFIX = "sync:"


def require_local(document: PlanDocument) -> None:
    """Refuse to change a document received from another installation."""
    if document.source_name.startswith(SYNCED_SOURCE_PREFIX):
        raise ValidationError(_("Văn bản nhận từ cài đặt cấp trên chỉ được sửa ở nơi ban hành. / "
                                "A document received from another installation can only be changed where it was issued."))


def _require(user, action: str, document: PlanDocument) -> None:
    require_local(document)
    if user is not None and not can(user, action, document.unit):
        raise PermissionDenied(_("Bạn không có quyền với văn bản của đơn vị này. / You may not act on this unit's documents."))


@transaction.atomic
def issue(document: PlanDocument, actor=None) -> PlanDocument:
    _require(actor, "manage", document)
    document = PlanDocument.objects.select_for_update().get(pk=document.pk)
    if document.status != DocumentStatus.DRAFT:
        raise ValidationError(_("Chỉ dự thảo mới ban hành được. / Only a draft can be issued."))
    with acting_as(actor, "web"):
        document.status = DocumentStatus.ISSUED
        document.issued_at = timezone.now()
        document.save()
        PlanVersion.objects.create(document=document, version=document.version, snapshot=snapshot(document), created_by=actor)
    return document


@contextmanager
def amending(document: PlanDocument, actor=None, *, note: str = "", due_date=None):
    """Edit an issued plan inside the block; on leaving it, the edits become the next version and
    are sent to every unit whose plan derives from it."""
    _require(actor, "manage", document)
    with transaction.atomic(), acting_as(actor, "web"):
        document = PlanDocument.objects.select_for_update().get(pk=document.pk)
        if not document.is_published:
            raise ValidationError(_("Chỉ sửa đổi được kế hoạch đã ban hành. / Only an issued plan can be amended."))
        if not document.versions.filter(version=document.version).exists():
            PlanVersion.objects.create(document=document, version=document.version, snapshot=snapshot(document), created_by=actor)
        yield document
        document.version += 1
        document.status = DocumentStatus.AMENDED
        document.save()
        PlanVersion.objects.create(document=document, version=document.version, snapshot=snapshot(document), note=note, created_by=actor)
        dispatch = Dispatch.objects.create(
            document=document, kind=Dispatch.Kind.AMENDMENT, from_version=document.version - 1,
            to_version=document.version, note=note, due_date=due_date, sent_by=actor,
        )
        plans = derived_plans(document)
        bulk_create_audited(InboxItem, [InboxItem(dispatch=dispatch, unit_id=plan.unit_id, plan=plan) for plan in plans])


def derived_plans(document: PlanDocument) -> list[PlanDocument]:
    """Plans derived from ``document``, directly or through plans derived from it (one query a
    level of the tree)."""
    found, frontier = [], [document.pk]
    while frontier:
        level = list(PlanDocument.objects.filter(parent_plan_id__in=frontier).only("pk", "unit_id", "parent_plan_id"))
        found += level
        frontier = [plan.pk for plan in level]
    return found


@transaction.atomic
def send_guidance(document: PlanDocument, actor=None, *, levels=(), kinds=(), due_date=None, note="") -> Dispatch:
    """Send an issued guidance (or plan) to the sender's subtree, or to the chosen levels/kinds."""
    _require(actor, "manage", document)
    if not document.is_published:
        raise ValidationError(_("Phải ban hành văn bản trước khi gửi. / Issue the document before sending it."))
    with acting_as(actor, "web"):
        dispatch = Dispatch.objects.create(
            document=document, kind=Dispatch.Kind.GUIDANCE, due_date=due_date, note=note, sent_by=actor,
        )
        dispatch.levels.set(levels)
        dispatch.kinds.set(kinds)
        sender = document.unit
        units = OrgUnit.objects.filter(tree_id=sender.tree_id, lft__gt=sender.lft, rght__lt=sender.rght).active()
        if levels:
            units = units.filter(level__in=levels)
        if kinds:
            units = units.filter(kind__in=kinds)
        bulk_create_audited(InboxItem, [InboxItem(dispatch=dispatch, unit_id=pk) for pk in units.values_list("pk", flat=True)])
    return dispatch


# -- the receiving side ---------------------------------------------------------------------------

@dataclass
class Change:
    """One change between two versions of a plan, seen from one receiving plan."""

    key: str  # "<parent task id>"
    kind: str  # changed | added | removed
    before: dict | None  # the upper plan's task, old version
    after: dict | None  # the upper plan's task, new version
    own_task: Task | None  # the receiving plan's task derived from it (at any depth)
    decision: str | None = None


def plan_changes(dispatch: Dispatch) -> list[tuple[str, str, dict | None, dict | None]]:
    """(task id, kind, before, after) for every task that differs between the two versions."""
    versions = {v.version: v.snapshot for v in dispatch.document.versions.filter(version__in=[dispatch.from_version, dispatch.to_version])}
    old, new = versions[dispatch.from_version]["tasks"], versions[dispatch.to_version]["tasks"]
    changes = []
    for task_id in list(old) + [t for t in new if t not in old]:
        before, after = old.get(task_id), new.get(task_id)
        if before == after:
            continue
        kind = "added" if before is None else "removed" if after is None else "changed"
        changes.append((task_id, kind, before, after))
    return changes


def _own_tasks_by_origin(item: InboxItem) -> dict[str, Task]:
    """The receiving plan's tasks keyed by the amended plan's task they derive from, following
    ``parent_task`` up through the plans in between (one query)."""
    own = list(Task.objects.filter(document=item.plan).order_by("order"))
    ancestors_of = {}
    pending = {t.parent_task_id for t in own if t.parent_task_id}
    root_plan = item.dispatch.document_id
    # Tasks of the plans between: few levels, loaded together by walking ids up.
    while pending:
        rows = list(Task.with_withdrawn.filter(pk__in=pending).values_list("pk", "parent_task_id", "document_id"))
        pending = set()
        for pk, parent_id, document_id in rows:
            ancestors_of[pk] = (parent_id, document_id)
            if document_id != root_plan and parent_id:
                pending.add(parent_id)
    result = {}
    for task in own:
        origin = task.parent_task_id
        while origin is not None and ancestors_of.get(origin, (None, root_plan))[1] != root_plan:
            origin = ancestors_of.get(origin, (None, None))[0]
        if origin is not None:
            result[str(origin)] = task
    return result


def changes_for(item: InboxItem) -> list[Change]:
    if item.dispatch.kind != Dispatch.Kind.AMENDMENT or item.plan_id is None:
        return []
    own = _own_tasks_by_origin(item)
    decisions = dict(item.decisions.values_list("change_key", "choice"))
    return [
        Change(key, kind, before, after, own.get(key), decisions.get(key))
        for key, kind, before, after in plan_changes(item.dispatch)
    ]


@transaction.atomic
def mark_seen(item: InboxItem, actor) -> InboxItem:
    require_acting_for(actor, item.unit)
    if item.state == InboxItem.State.UNSEEN:
        with acting_as(actor, "web"):
            item.state, item.seen_at, item.seen_by = InboxItem.State.SEEN, timezone.now(), actor
            item.save()
    return item


def require_acting_for(user, unit) -> None:
    """Seeing, deciding and acknowledging are the receiving unit's own acts ('change' on it)."""
    if user is not None and not can(user, "change", unit):
        raise PermissionDenied(_("Bạn không có quyền sửa kế hoạch của đơn vị này. / You may not change this unit's plan."))


@transaction.atomic
def decide(item: InboxItem, change_key: str, choice: str, actor) -> AmendmentDecision:
    """Apply one change of an amendment to the unit's own plan, or keep the unit's text."""
    item = InboxItem.objects.select_for_update(of=("self",)).select_related("dispatch__document", "plan").get(pk=item.pk)
    require_acting_for(actor, item.unit)
    changes = changes_for(item)
    change = next((c for c in changes if c.key == change_key), None)
    if change is None:
        raise ValidationError(_("Không có thay đổi này. / No such change."))
    if change.decision is not None:
        raise ValidationError(_("Thay đổi này đã được quyết định. / This change was already decided."))
    with acting_as(actor, "web"):
        if choice == AmendmentDecision.Choice.APPLY:
            _apply(item, change)
        decision = AmendmentDecision.objects.create(item=item, change_key=change_key, choice=choice, decided_by=actor)
        mark_seen(item, actor)
        if all(c.decision is not None or c.key == change_key for c in changes):
            acknowledge(item, actor)  # every change decided: the amendment is acted on
    return decision


def _apply(item: InboxItem, change: Change) -> None:
    if change.kind == "removed":
        if change.own_task is not None:
            change.own_task.delete()
        return
    if change.kind == "changed" and change.own_task is not None:
        task = change.own_task
        for name in TASK_FIELDS:
            setattr(task, name, change.after[name])
        task.save()
        return
    # Added (or changed where the unit had left the task out): carry the new task over, linked to
    # the amended plan's task, at the end of the unit's plan.
    upper = Task.objects.get(pk=int(change.key))
    last = Task.objects.filter(document=item.plan).aggregate(last=Max("order"))["last"] or 0
    Task.objects.create(
        document=item.plan, parent_task=upper, order=last + 1, carried_as="carry",
        **{name: change.after[name] for name in TASK_FIELDS},
    )


@transaction.atomic
def acknowledge(item: InboxItem, actor) -> InboxItem:
    require_acting_for(actor, item.unit)
    with acting_as(actor, "web"):
        now = timezone.now()
        if item.seen_at is None:
            item.seen_at, item.seen_by = now, actor
        item.state, item.acted_at, item.acted_by = InboxItem.State.ACTED, now, actor
        item.save()
    return item


@dataclass
class FollowUpRow:
    item: InboxItem
    late: bool


def follow_up(dispatch: Dispatch, today=None) -> list[FollowUpRow]:
    """Every receiving unit with its state; late = past the due date and not acted (one query)."""
    today = today or timezone.localdate()
    items = dispatch.items.select_related("unit").order_by("unit__tree_id", "unit__lft")
    return [
        FollowUpRow(item, bool(dispatch.due_date and dispatch.due_date < today and item.state != InboxItem.State.ACTED))
        for item in items
    ]


def is_guidance(document: PlanDocument) -> bool:
    return document.kind == DocumentKind.GUIDANCE
