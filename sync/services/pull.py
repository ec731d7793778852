"""Downward federation: a child installation pulls its parent's issued plans and guidance.

The child reads its PARENT peer's feed (``/api/v1/sync/feed/?cursor=``) with the token the parent
issued it and signed requests (``sync.client``). The parent answers what its restriction lets the
child's token read: the published documents of the units above the child's root and of its
subtree, and unit changes. Each item is applied here as the parent's own object:

* **Units above the child's root** are created (or updated) from unit items, by code; the child's
  own tree hangs under them (its root is moved under its parent as the parent names it). Units of
  the child's own subtree belong to the child: their content is never taken from the parent.
* **Plans and guidance** of a unit above become a ``PlanDocument`` with the origin's uuid (links
  such as ``parent_plan``/``parent_task`` resolve alike on both sides), its sections, tasks and
  parties, ``source_name = "sync:<global id>"`` (the plans services refuse to edit those:
  ``plans.services.guidance.require_local``), a frozen ``PlanVersion`` per version, and, as the
  local services would have made them, the inbox items of an amendment (units whose plan derives
  from it) and of a guidance (units of the child's subtree it is addressed to). Tasks are kept by
  uuid: a plan derived here keeps pointing at the same task rows across amendments.

Idempotent by global id and version (``ReceivedItem``): a replay changes nothing, an older
version never overwrites a newer one. A bad item (unknown schema version, failing validation, a
unit outside what the parent may write) is parked with its reason (``ParkedItem``) and the items
after it go on. The cursor (``Peer.pull_cursor``) advances in the transaction that applied its
page: a crash half way re-reads the page, and the applied items are then unchanged replays.
"""
from __future__ import annotations

import logging
import uuid as uuid_module
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from mttq_platform.audit import acting_as, bulk_create_audited
from orgtree.models import CodeSet, Level, OrgUnit, UnitKind
from plans.models import (
    Dispatch, InboxItem, LegalBasis, OutsideBody, PartyKind, PlanDocument, PlanVersion,
    Responsibility, Section, Task, TaskParty,
)
from plans.models.base import PUBLISHED_STATUSES
from plans.parsing import parse_parties
from plans.services import guidance
from plans.services.importing import outside_body
from sync.client import PeerClient
from sync.errors import SyncError
from sync.models import ChangeKind, ParkedItem, Peer, PeerRole, ReceivedItem
from sync.payloads import SCHEMA_VERSION, received_from, record_change
from sync.receivers import filled_by_caller
from sync.services import apply as upward  # the receiving side of upward items (retries)

log = logging.getLogger(__name__)

FEED_PATH = "/api/v1/sync/feed/"
DOCUMENT_KINDS = (ChangeKind.PLAN, ChangeKind.GUIDANCE)
# What comes down: documents and units. Reports and inspections travel up (sync.services.outbox).
PULLED_KINDS = (*DOCUMENT_KINDS, ChangeKind.UNIT)
MAX_PAGES = 1000  # one run's bound; the next run (beat) goes on from the cursor
# What a bad item can raise while it is applied: it is parked, the others go on.
ITEM_ERRORS = (SyncError, ValidationError, DatabaseError, KeyError, TypeError, ValueError, AttributeError)


class ItemRefused(SyncError):
    """An item that cannot be applied; its message is the reason kept on the parked item."""

    code = "item_refused"


@dataclass
class PullResult:
    applied: int = 0
    unchanged: int = 0  # replays and older versions
    skipped: int = 0  # kinds that do not come down, and this installation's own objects
    parked: int = 0
    retried: int = 0  # parked items of earlier runs applied at the end of this one
    pages: int = 0

    def __str__(self):
        return (f"áp dụng {self.applied}, không đổi {self.unchanged}, bỏ qua {self.skipped}, tạm giữ {self.parked},"
                f" áp dụng lại {self.retried} ({self.pages} trang) / applied {self.applied}, unchanged {self.unchanged},"
                f" skipped {self.skipped}, parked {self.parked}, re-applied {self.retried} ({self.pages} pages)")


# -- pulling -------------------------------------------------------------------------------------

def parent_peers(name: str | None = None):
    peers = Peer.objects.filter(role=PeerRole.PARENT, active=True).select_related("unit")
    return peers.filter(name=name) if name else peers


def pull(peer: Peer, *, client: PeerClient | None = None, max_pages: int = MAX_PAGES) -> PullResult:
    """Read the parent's feed from the stored cursor to its end, applying page by page."""
    if peer.role != PeerRole.PARENT:
        raise SyncError(f"{peer.name} không phải cài đặt cấp trên: chỉ nhận về từ cấp trên.",
                        f"{peer.name} is not a parent installation: only a parent is pulled from.", code="not_parent")
    client = client or PeerClient(peer)
    result = PullResult()
    try:
        for _ in range(max_pages):
            cursor = Peer.objects.values_list("pull_cursor", flat=True).get(pk=peer.pk)
            page = client.get(FEED_PATH, params={"cursor": cursor} if cursor else None)
            if not apply_page(peer, page, cursor, result):
                break
    except SyncError as error:
        Peer.objects.filter(pk=peer.pk).update(last_pull_error=str(error)[:2000])
        raise
    if result.applied:
        # What arrived may be what a parked item waited for (a unit above, a parent plan).
        result.retried, _still = retry_parked(peer)
    return result


def _page_items(page) -> list[dict]:
    """The items of a feed page (``sync.api.feed``: schema_version, items, next_cursor, has_more)."""
    if not isinstance(page, dict) or not isinstance(page.get("items"), list) or not page.get("next_cursor"):
        raise SyncError("Trang nguồn cấp không đúng định dạng (thiếu items hoặc next_cursor).",
                        "The feed page is malformed (no items or next_cursor).", code="bad_feed_page")
    return page["items"]


def apply_page(peer: Peer, page: dict, cursor: str, result: PullResult) -> bool:
    """Apply one page and move the cursor past it, in one transaction. Returns whether the feed has
    more after it. A concurrent pull that moved the cursor meanwhile wins: this page is dropped."""
    items = _page_items(page)
    next_cursor = str(page["next_cursor"])
    with transaction.atomic():
        locked = Peer.objects.select_for_update().select_related("unit").get(pk=peer.pk)
        if locked.pull_cursor != cursor:
            return True  # another pull applied this page; go on from where it left
        page_schema = page.get("schema_version")
        for item in items:
            if page_schema is not None and isinstance(item, dict):
                item.setdefault("schema_version", page_schema)
            outcome = apply_or_park(locked, item)
            setattr(result, outcome, getattr(result, outcome) + 1)
        locked.pull_cursor = next_cursor
        locked.last_pull_at = timezone.now()
        locked.last_pull_error = ""
        locked.save(update_fields=["pull_cursor", "last_pull_at", "last_pull_error"])
    result.pages += 1
    return bool(page.get("has_more")) and next_cursor != cursor


def apply_or_park(peer: Peer, item) -> str:
    """"applied" | "unchanged" | "skipped", or "parked" with the reason kept."""
    try:
        with transaction.atomic():  # a savepoint: a failing item leaves nothing of itself behind
            return apply_item(peer, item)
    except ITEM_ERRORS as error:
        park(peer, item, error)
        return "parked"


def _reason(error: Exception) -> str:
    if isinstance(error, upward.ItemRefused):
        return error.reason
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, SyncError):
        return str(error)
    if isinstance(error, KeyError):
        return f"Thiếu trường {error} / missing field {error}"
    return f"{type(error).__name__}: {error}"


def park(peer: Peer, item, error: Exception) -> ParkedItem:
    envelope = item if isinstance(item, dict) else {}
    log.warning("sync pull: item parked from %s: %s", peer.name, _reason(error))
    version = envelope.get("version")
    return ParkedItem.objects.create(
        peer=peer, direction="in", origin=str(envelope.get("origin") or "")[:64],
        object_uuid=_uuid_or_none(envelope.get("object_uuid")),
        version=version if isinstance(version, int) and version >= 0 else None,
        kind=str(envelope.get("kind") or "")[:12], payload=item, reason=_reason(error),
    )


def _uuid_or_none(value):
    try:
        return uuid_module.UUID(str(value)) if value else None
    except ValueError:
        return None


# -- one item ------------------------------------------------------------------------------------

def apply_item(peer: Peer, item) -> str:
    """Apply one feed item (``sync.api.feed.item`` shape: kind, origin, object_uuid,
    version, schema_version, payload). Raises ItemRefused (or a validation error) to park it."""
    if not isinstance(item, dict) or not isinstance(item.get("payload"), dict):
        raise ItemRefused("Mục không đúng định dạng.", "The item is malformed.")
    schema = item.get("schema_version")
    if schema != SCHEMA_VERSION:
        raise ItemRefused(f"Phiên bản lược đồ {schema!r} không được hỗ trợ (hỗ trợ {SCHEMA_VERSION}).",
                          f"Unknown schema version {schema!r} (supported: {SCHEMA_VERSION}).", code="unknown_schema")
    kind, origin = item.get("kind"), str(item.get("origin") or "")
    object_uuid = uuid_module.UUID(str(item["object_uuid"]))
    version = item.get("version")
    if not origin or not isinstance(version, int) or version < 1:
        raise ItemRefused("Mục thiếu mã gốc hoặc phiên bản.", "The item has no origin or version.")
    if origin == settings.INSTALLATION_ID or kind not in PULLED_KINDS:
        return "skipped"  # our own objects coming back, and what travels up only
    payload = item["payload"]
    if kind == ChangeKind.UNIT and _is_own_unit(peer, payload):
        # This installation's own unit, as the parent holds it: only its place under the units
        # above is taken. No ReceivedItem: its later changes are this installation's to record.
        attach_own_root(peer, payload)
        return "skipped"
    held = ReceivedItem.objects.select_for_update().filter(origin=origin, object_uuid=object_uuid).first()
    if held is not None and held.version >= version:
        return "unchanged"
    with received_from(origin, version), acting_as(None, "sync"):
        if kind == ChangeKind.UNIT:
            unit = apply_unit(peer, payload)
        else:
            unit = apply_document(peer, kind, origin, object_uuid, version, payload).unit
        ReceivedItem.objects.update_or_create(
            origin=origin, object_uuid=object_uuid,
            defaults={"kind": kind, "version": version, "peer": peer, "unit": unit, "payload": payload},
        )
    # A newer version supersedes what was parked of older ones.
    ParkedItem.objects.filter(direction="in", origin=origin, object_uuid=object_uuid, version__lte=version,
                              resolved_at__isnull=True).update(resolved_at=timezone.now())
    return "applied"


# -- units ---------------------------------------------------------------------------------------

def _by_code(model, code):
    if not code:
        return None
    found = model.objects.filter(code=code).first()
    if found is None:
        what_vi, what_en = {OrgUnit: ("đơn vị", "unit"), UnitKind: ("loại đơn vị", "unit kind"), Level: ("cấp", "level"),
                            CodeSet: ("bộ mã", "code set")}[model]
        raise ItemRefused(f"Không có {what_vi} mã {code} ở cài đặt này.", f"No {what_en} with code {code} here.",
                          code="unknown_code")
    return found


def _is_own_unit(peer: Peer, payload: dict) -> bool:
    local = OrgUnit.objects.filter(code=payload.get("code")).first()
    return local is not None and local.is_within(OrgUnit.objects.get(pk=peer.unit_id))


def _parent_of(payload: dict) -> OrgUnit | None:
    parent_code, code = payload.get("parent"), payload["code"]
    parent = OrgUnit.objects.filter(code=parent_code).first() if parent_code else None
    if parent_code and parent is None:
        raise ItemRefused(f"Đơn vị cấp trên {parent_code} của {code} chưa có ở cài đặt này.",
                          f"The parent unit {parent_code} of {code} is not known here yet.", code="unknown_parent")
    return parent


def attach_own_root(peer: Peer, payload: dict) -> None:
    """The root of this installation's tree hangs under the unit the parent names above it."""
    own_root = OrgUnit.objects.get(pk=peer.unit_id)
    if payload["code"] != own_root.code or own_root.parent_id is not None:
        return
    parent = _parent_of(payload)
    if parent is not None and not parent.is_within(own_root):
        own_root.move_to(parent, "last-child")


def apply_unit(peer: Peer, payload: dict) -> OrgUnit:
    """A unit of the parent's, above this installation's tree (its own units: ``attach_own_root``)."""
    code = payload["code"]
    own_root = OrgUnit.objects.get(pk=peer.unit_id)
    local = OrgUnit.objects.filter(code=code).first()
    parent = _parent_of(payload)
    if parent is not None and parent.is_within(own_root):
        raise ItemRefused(f"Cấp trên không được tạo đơn vị {code} trong cây của cài đặt này.",
                          f"The parent installation may not create unit {code} inside this installation's tree.",
                          code="outside_subtree")
    kind = _by_code(UnitKind, payload["kind"])
    fields = {
        "name": payload["name"], "area_name": payload.get("area_name") or "", "kind": kind,
        "level": _by_code(Level, payload.get("level")) or kind.level,
        "admin_code": payload.get("admin_code") or "",
        "code_set": _by_code(CodeSet, payload.get("code_set")),
        "active_from": _date(payload.get("active_from")), "active_to": _date(payload.get("active_to")),
    }
    if local is None:
        local = OrgUnit(code=code, parent=parent, **fields)
        local.full_clean(exclude=["parent", "level", "lft", "rght", "tree_id"])
        local.save()
        return local
    for name, value in fields.items():
        setattr(local, name, value)
    local.save()
    if local.parent_id != (parent.pk if parent else None) and parent is not None:
        local.move_to(parent, "last-child")
    return local


# -- plans and guidance --------------------------------------------------------------------------

def _date(value) -> date | None:
    return parse_date(value) if value else None


def _datetime(value) -> datetime | None:
    return parse_datetime(value) if value else None


def _uuid_of(global_id: str | None):
    """The object uuid of ``<installation>:<uuid>`` (the installation id may itself hold ':')."""
    return uuid_module.UUID(global_id.rsplit(":", 1)[1]) if global_id else None


def apply_document(peer: Peer, kind: str, origin: str, object_uuid, version: int, payload: dict) -> PlanDocument:
    issuer = _by_code(OrgUnit, payload["unit"])
    own_root = OrgUnit.objects.get(pk=peer.unit_id)
    if not (own_root.is_within(issuer) and issuer.pk != own_root.pk):
        raise ItemRefused(f"Văn bản của {issuer.code} không phải của đơn vị cấp trên {own_root.code}: cấp trên chỉ gửi xuống "
                          f"văn bản của các đơn vị phía trên.",
                          f"A document of {issuer.code} is not one of a unit above {own_root.code}: the parent only "
                          f"sends down documents of the units above.", code="outside_subtree")
    if payload["status"] not in PUBLISHED_STATUSES:
        raise ItemRefused(f"Văn bản ở trạng thái {payload['status']!r} chưa ban hành.",
                          f"A document in state {payload['status']!r} is not issued.", code="not_published")
    global_id = f"{origin}:{object_uuid}"
    document = PlanDocument.objects.select_for_update().filter(uuid=object_uuid).first()
    if document is not None and not document.source_name.startswith(guidance.SYNCED_SOURCE_PREFIX):
        raise ItemRefused("Đã có văn bản của cài đặt này cùng mã uuid.", "A local document has the same uuid.",
                          code="uuid_conflict")
    previous_version = document.version if document is not None else None
    document = document or PlanDocument(uuid=object_uuid)
    parent_uuid = _uuid_of(payload.get("parent_plan"))
    document.unit = issuer
    document.kind = payload["kind"]
    for name in ("number", "symbol", "issuer_text", "place", "title", "preamble", "closing",
                 "signer_on_behalf", "signer_title", "signer_name"):
        setattr(document, name, payload.get(name) or "")
    document.date, document.issued_at = _date(payload.get("date")), _datetime(payload.get("issued_at"))
    document.status, document.version = payload["status"], int(payload["document_version"])
    document.directive_year = payload.get("directive_year")
    document.recipients = payload.get("recipients") or []
    document.parent_plan = PlanDocument.objects.filter(uuid=parent_uuid).first() if parent_uuid else None
    document.source_name = f"{guidance.SYNCED_SOURCE_PREFIX}{global_id}"[:255]
    document.full_clean(exclude=["unit", "parent_plan", "created_by"])
    document.save()

    with filled_by_caller(document):
        sections = _replace_parts(document, payload)
        _apply_tasks(document, payload.get("tasks") or [], sections)
        if not PlanVersion.objects.filter(document=document, version=document.version).exists():
            PlanVersion.objects.create(document=document, version=document.version, snapshot=guidance.snapshot(document))
        _dispatch_amendment(document, previous_version, payload)
        _dispatch_guidance(peer, document, payload)
    # The document's row in this installation's change log was written when it was saved, before
    # its parts: completed now, once, in the same transaction, it carries the whole document on.
    record_change(kind, document)
    return document


def _replace_parts(document: PlanDocument, payload: dict) -> dict[str, Section]:
    """Legal bases, sections and responsibilities are rewritten whole (nothing links to them from
    another plan); tasks are kept by uuid (``_apply_tasks``)."""
    LegalBasis.objects.filter(document=document).delete()
    Responsibility.objects.filter(document=document).delete()
    Section.objects.filter(document=document).delete()
    bulk_create_audited(LegalBasis, [
        LegalBasis(document=document, order=row.get("order") or 0, text=row["text"], reference=row.get("reference") or "",
                   reference_date=_date(row.get("reference_date")))
        for row in payload.get("legal_bases") or []
    ])
    bulk_create_audited(Responsibility, [
        Responsibility(document=document, order=row.get("order") or 0, number=row.get("number") or "",
                       party=row["party"], text=row["text"])
        for row in payload.get("responsibilities") or []
    ])
    sections = {}
    for row in sorted(payload.get("sections") or [], key=lambda r: r.get("order") or 0):
        sections[row["number"]] = Section.objects.create(
            document=document, parent=sections.get(row.get("parent")), number=row["number"], title=row["title"],
            text=row.get("text") or "", order=row.get("order") or 0,
        )
    return sections


def _apply_tasks(document: PlanDocument, rows: list[dict], sections: dict[str, Section]) -> None:
    held = {task.uuid: task for task in Task.with_withdrawn.filter(document=document)}
    upper_uuids = {_uuid_or_none(row.get("parent_task")) for row in rows} - {None}
    upper = {task.uuid: task for task in Task.with_withdrawn.filter(uuid__in=upper_uuids)}
    parties = PartyRows(document)
    seen = set()
    for row in rows:
        task_uuid = uuid_module.UUID(row["uuid"])
        seen.add(task_uuid)
        task = held.get(task_uuid) or Task(uuid=task_uuid, document=document)
        task.section = sections.get(row.get("section"))
        for name in ("number", "heading", "text", "output", "notes", "timeframe_text", "carried_as"):
            setattr(task, name, row.get(name) or "")
        task.bullet, task.order = row.get("bullet") or 0, row.get("order") or 0
        task.steps, task.timeframe = row.get("steps") or [], row.get("timeframe") or {}
        task.parent_task = upper.get(_uuid_or_none(row.get("parent_task")))
        task.withdrawn = False
        task.save()
        TaskParty.objects.filter(task=task).delete()
        parties.add(task, row.get("parties") or [])
    parties.save()
    # Tasks the new version no longer has are withdrawn, not deleted: derived tasks keep their link.
    Task.with_withdrawn.filter(document=document, withdrawn=False).exclude(uuid__in=seen).update(withdrawn=True)


class PartyRows:
    """Task parties from the payload. ``level_limit`` and ``body`` are taken from the payload when
    it has them, else read again from the party's written text with the import's parser (what the
    import saved them from), so derivation here drops and keeps the same parties as at the origin."""

    def __init__(self, document: PlanDocument):
        self.document = document
        self.levels = {level.code: level for level in Level.objects.all()}
        self.units: dict[str, OrgUnit | None] = {}
        self.bodies: dict[str, OutsideBody] = {}
        self.rows: list[TaskParty] = []

    def add(self, task: Task, parties: list[dict]) -> None:
        for row in parties:
            parsed = None
            if "level_limit" not in row or (row["kind"] == PartyKind.BODY and "body" not in row):
                found = parse_parties(row["text"])
                parsed = found[0] if len(found) == 1 else None
            level_limit = row.get("level_limit") if "level_limit" in row else (parsed.level_limit if parsed else None)
            body = None
            if row["kind"] == PartyKind.BODY:
                body = self.body(row.get("body") or (parsed.name if parsed and parsed.name else row["text"]))
            self.rows.append(TaskParty(
                task=task, document=self.document, role=row["role"], order=row.get("order") or 0,
                group=row.get("group") or 0, text=row["text"], kind=row["kind"],
                relative_code=row.get("relative_code") or "", scope=row.get("scope") or "",
                level_limit=self.levels.get(level_limit or ""), unit=self.unit(row.get("unit")), body=body,
            ))

    def unit(self, code: str | None) -> OrgUnit | None:
        if not code:
            return None
        if code not in self.units:
            self.units[code] = OrgUnit.objects.filter(code=code).first()
        return self.units[code]

    def body(self, name: str) -> OutsideBody:
        return outside_body(name, self.bodies)

    def save(self) -> None:
        bulk_create_audited(TaskParty, self.rows)


def _dispatch_for(payload: dict, kind: str, to_version=None) -> dict | None:
    matching = [d for d in payload.get("dispatches") or [] if d.get("kind") == kind
                and (to_version is None or d.get("to_version") == to_version)]
    return matching[-1] if matching else None


def _dispatch_amendment(document: PlanDocument, previous_version: int | None, payload: dict) -> None:
    """An amendment reaches the units here whose plan derives from the amended plan, as
    ``guidance.amending`` sends it: one dispatch, an inbox item per derived plan with its diff."""
    if previous_version is None or document.version <= previous_version:
        return
    if not PlanVersion.objects.filter(document=document, version=previous_version).exists():
        return  # the diff needs the version it is against
    sent = _dispatch_for(payload, Dispatch.Kind.AMENDMENT, document.version) or {}
    dispatch = Dispatch.objects.create(
        document=document, kind=Dispatch.Kind.AMENDMENT, from_version=previous_version, to_version=document.version,
        note=sent.get("note") or "", due_date=_date(sent.get("due_date")),
    )
    plans = guidance.derived_plans(document)
    bulk_create_audited(InboxItem, [InboxItem(dispatch=dispatch, unit_id=plan.unit_id, plan=plan) for plan in plans])


def _dispatch_guidance(peer: Peer, document: PlanDocument, payload: dict) -> None:
    """Guidance sendings not yet made here reach the units of this installation's tree they are
    addressed to (levels, kinds), as ``guidance.send_guidance`` does at the origin."""
    sent = [d for d in payload.get("dispatches") or [] if d.get("kind") == Dispatch.Kind.GUIDANCE]
    made = Dispatch.objects.filter(document=document, kind=Dispatch.Kind.GUIDANCE).count()
    own_root = OrgUnit.objects.get(pk=peer.unit_id)
    for row in sent[made:]:
        dispatch = Dispatch.objects.create(document=document, kind=Dispatch.Kind.GUIDANCE, note=row.get("note") or "",
                                           due_date=_date(row.get("due_date")))
        levels = list(Level.objects.filter(code__in=row.get("levels") or []))
        kinds = list(UnitKind.objects.filter(code__in=row.get("kinds") or []))
        dispatch.levels.set(levels)
        dispatch.kinds.set(kinds)
        units = OrgUnit.objects.within(own_root).active()
        if levels:
            units = units.filter(level__in=levels)
        if kinds:
            units = units.filter(kind__in=kinds)
        bulk_create_audited(InboxItem, [InboxItem(dispatch=dispatch, unit_id=pk) for pk in units.values_list("pk", flat=True)])


# -- parked items --------------------------------------------------------------------------------

def retry_parked_item(parked: ParkedItem) -> bool:
    """Apply a parked incoming item again: resolved when it applies (or is by now an older
    version), else kept with the new reason."""
    with transaction.atomic():
        parked = ParkedItem.objects.select_for_update().select_related("peer").get(pk=parked.pk)
        if parked.resolved_at is not None:
            return True
        applier = _retry_applier(parked.peer)
        try:
            with transaction.atomic(), acting_as(None, "sync"):
                applier(parked.peer, parked.payload)
        except (*ITEM_ERRORS, upward.ItemRefused, ObjectDoesNotExist) as error:
            parked.reason = _reason(error)
            parked.save(update_fields=["reason"])
            return False
        parked.resolved_at = timezone.now()
        parked.save(update_fields=["resolved_at"])
        return True


def _retry_applier(peer: Peer):
    """Items parked from a parent are pulled items (applied here); items parked from a child were
    delivered upward and are applied by the receiving side of ``sync.services``, when present."""
    return apply_item if peer.role == PeerRole.PARENT else upward.apply_item


def retry_parked(peer: Peer | None = None) -> tuple[int, int]:
    """Retry every unresolved incoming parked item (of ``peer``): (applied, still parked)."""
    queryset = ParkedItem.objects.filter(direction="in", resolved_at__isnull=True).order_by("created_at", "pk")
    if peer is not None:
        queryset = queryset.filter(peer=peer)
    applied = failed = 0
    for parked in list(queryset):
        if retry_parked_item(parked):
            applied += 1
        else:
            failed += 1
    return applied, failed
