"""Signal receivers that write changes of plans, reviews, inspections and units to the change log.

Each change is recorded in the transaction that makes it (``sync.payloads.record_change``):

- a plan document that becomes or stays published with a new status or version (issued, amended,
  superseded): kind ``guidance`` for a Hướng dẫn, ``plan`` for the other kinds; and again when a
  dispatch of it is sent (``send_guidance``; an amendment's dispatch completes the amendment's row);
- a unit report that becomes accepted (or is accepted again at a new version after reopening);
- an inspection that becomes concluded (its recommendations, created after it in the same
  transaction, complete the same row);
- a unit created, or changed in anything its payload carries (renamed, moved, recoded, closed).

The state before a save is taken in ``pre_save`` from the values the row was loaded with
(``AuditedModel._audit_loaded``): no extra query to tell a transition from a plain edit.
Bulk writes bypass the save signals; ``bulk_create_audited`` and ``update_audited`` send
``bulk_written``, recorded in bulk (units of an import, documents issued by the reviews demo).
The reviews demo writes its approval states with raw SQL and then sends ``report_data_changed``
for all its reports at once: its accepted reports are recorded from that signal, in bulk.
Not covered: other rows written by raw SQL or ``QuerySet.update`` outside ``update_audited``.
"""
import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from inspections.models import Inspection, InspectionStatus, Recommendation
from mttq_platform.audit import bulk_written
from orgtree.models import OrgUnit
from plans.models import Dispatch, DocumentKind, LegalBasis, PlanDocument, Responsibility, Section, Task, TaskParty
from plans.models.base import PUBLISHED_STATUSES
from reviews.models import ReportStatus, UnitReport
from reviews.signals import report_data_changed
from sync.models.changes import ChangeKind, ChangeRecord
from sync.payloads import record_change, record_many

# Fields of a unit that its payload carries: a change of any of them is a new version.
UNIT_FIELDS = ("code", "admin_code", "code_set_id", "name", "area_name", "kind_id", "level_id", "parent_id",
               "active_from", "active_to")


def document_kind(document: PlanDocument) -> str:
    return ChangeKind.GUIDANCE if document.kind == DocumentKind.GUIDANCE else ChangeKind.PLAN


def _loaded(instance, *fields):
    """The values ``instance`` was loaded with (None for a new row): what the save changes."""
    loaded = getattr(instance, "_audit_loaded", None)
    if loaded is None or instance._state.adding:
        return None
    return tuple(loaded.get(field) for field in fields)


@receiver(pre_save, sender=PlanDocument, dispatch_uid="sync_document_before")
@receiver(pre_save, sender=UnitReport, dispatch_uid="sync_report_before")
@receiver(pre_save, sender=Inspection, dispatch_uid="sync_inspection_before")
def remember_state(sender, instance, raw=False, **kwargs):
    # The audit's post_save replaces _audit_loaded with the saved values before ours runs.
    fields = ("status", "version") if sender is not Inspection else ("status",)
    instance._sync_before = _loaded(instance, *fields)


@receiver(pre_save, sender=OrgUnit, dispatch_uid="sync_unit_before")
def remember_unit(sender, instance, raw=False, **kwargs):
    instance._sync_before = _loaded(instance, *UNIT_FIELDS)


def _is_new_version(instance, *fields) -> bool:
    before = getattr(instance, "_sync_before", None)
    if before is None:
        return True
    now = instance.audit_snapshot()  # in the audit's JSON form, as _audit_loaded is (dates as text)
    return before != tuple(now.get(field) for field in fields)


def _record_document(document, *, refresh_only: bool = False) -> None:
    record_change(document_kind(document), document, refresh_only=refresh_only)
    if connection.in_atomic_block:
        # Parts saved after the document in this transaction (a document created published and
        # then filled, as a pulled one is) complete its row: remember it until the commit.
        pending = connection.__dict__.setdefault("sync_documents_recorded", set())
        pending.add(document.pk)
        transaction.on_commit(lambda: pending.discard(document.pk))


@receiver(post_save, sender=PlanDocument, dispatch_uid="sync_document_saved")
def document_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.status not in PUBLISHED_STATUSES:
        return
    if _is_new_version(instance, "status", "version"):
        _record_document(instance)


# Documents whose parts are being written by a caller that records the document once, whole, when
# it is done (``filled_by_caller``): their parts' saves leave the change log alone.
_filled_by_caller: contextvars.ContextVar[frozenset] = contextvars.ContextVar("sync_filled_by_caller", default=frozenset())


@contextmanager
def filled_by_caller(document: PlanDocument):
    """Inside: saving parts of ``document`` does not rebuild its change-log row after each part
    (a document of 40 tasks would be read whole 40 times); the caller records it at the end."""
    token = _filled_by_caller.set(_filled_by_caller.get() | {document.pk})
    try:
        yield
    finally:
        _filled_by_caller.reset(token)


@receiver(post_save, sender=Task, dispatch_uid="sync_task_saved")
@receiver(post_save, sender=Section, dispatch_uid="sync_section_saved")
@receiver(post_save, sender=LegalBasis, dispatch_uid="sync_basis_saved")
@receiver(post_save, sender=Responsibility, dispatch_uid="sync_responsibility_saved")
@receiver(post_save, sender=TaskParty, dispatch_uid="sync_party_saved")
def document_part_saved(sender, instance, raw=False, **kwargs):
    # No query unless this transaction recorded the part's document (then: refresh that row only;
    # a part changed later belongs to an amendment, recorded when the amendment is saved).
    if (not raw and instance.document_id in connection.__dict__.get("sync_documents_recorded", ())
            and instance.document_id not in _filled_by_caller.get()):
        document = PlanDocument.objects.get(pk=instance.document_id)
        record_change(document_kind(document), document, refresh_only=True)


@receiver(post_save, sender=Dispatch, dispatch_uid="sync_dispatch_sent")
def dispatch_sent(sender, instance, created, raw=False, **kwargs):
    # A guidance sent is a new version; an amendment's dispatch completes the amendment's row.
    if created and not raw:
        _record_document(instance.document, refresh_only=instance.kind == Dispatch.Kind.AMENDMENT)


@receiver(m2m_changed, sender=Dispatch.levels.through, dispatch_uid="sync_dispatch_levels")
@receiver(m2m_changed, sender=Dispatch.kinds.through, dispatch_uid="sync_dispatch_kinds")
def dispatch_addressed(sender, instance, action, reverse, **kwargs):
    # send_guidance sets the levels and kinds after creating the dispatch: complete its row.
    if action in ("post_add", "post_remove", "post_clear") and not reverse and isinstance(instance, Dispatch):
        record_change(document_kind(instance.document), instance.document, refresh_only=True)


@receiver(post_save, sender=UnitReport, dispatch_uid="sync_report_saved")
def report_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.status != ReportStatus.ACCEPTED:
        return
    if _is_new_version(instance, "status", "version"):
        record_change(ChangeKind.REPORT, instance)


@receiver(post_save, sender=Inspection, dispatch_uid="sync_inspection_saved")
def inspection_saved(sender, instance, raw=False, **kwargs):
    if raw or instance.status != InspectionStatus.CONCLUDED:
        return
    if _is_new_version(instance, "status"):
        record_change(ChangeKind.INSPECTION, instance)


@receiver(post_save, sender=Recommendation, dispatch_uid="sync_recommendation_saved")
def recommendation_added(sender, instance, created, raw=False, **kwargs):
    # conclude() creates the recommendations after saving the concluded inspection.
    if created and not raw and instance.inspection.status == InspectionStatus.CONCLUDED:
        record_change(ChangeKind.INSPECTION, instance.inspection, refresh_only=True)


@receiver(post_save, sender=OrgUnit, dispatch_uid="sync_unit_saved")
def unit_saved(sender, instance, raw=False, **kwargs):
    if not raw and _is_new_version(instance, *UNIT_FIELDS):
        record_change(ChangeKind.UNIT, instance)


@receiver(bulk_written, dispatch_uid="sync_bulk_written")
def bulk_saved(sender, objs, fields, **kwargs):
    if sender is OrgUnit:
        carried = set(UNIT_FIELDS) | {field.removesuffix("_id") for field in UNIT_FIELDS}
        if fields is None or carried & set(fields):
            record_many(ChangeKind.UNIT, objs)
    elif sender is PlanDocument and (fields is None or {"status", "version"} & set(fields)):
        published = [doc for doc in objs if doc.status in PUBLISHED_STATUSES
                     and (fields is None or _loaded(doc, "status", "version") != (doc.status, doc.version))]
        for kind in (ChangeKind.PLAN, ChangeKind.GUIDANCE):
            record_many(kind, [doc for doc in published if document_kind(doc) == kind])
    elif sender is UnitReport and (fields is None or {"status", "version"} & set(fields)):
        accepted = [r for r in objs if r.status == ReportStatus.ACCEPTED
                    and (fields is None or _loaded(r, "status", "version") != (r.status, r.version))]
        record_many(ChangeKind.REPORT, accepted)


@receiver(report_data_changed, dispatch_uid="sync_reports_changed_in_bulk")
def reports_changed_in_bulk(sender, report_ids, **kwargs):
    """The reviews demo writes approval states in bulk (no save, no audited update) and then sends
    ``report_data_changed`` once for all its reports: record the accepted ones not yet recorded at
    their version. A signal about one report comes from a service whose save was recorded above;
    it costs nothing here."""
    if len(report_ids) < 2:
        return
    for start in range(0, len(report_ids), 5000):
        accepted = {uuid: (pk, version) for pk, uuid, version in UnitReport.objects.filter(
            pk__in=report_ids[start:start + 5000], status=ReportStatus.ACCEPTED).values_list("pk", "uuid", "version")}
        if not accepted:
            continue
        recorded = set(ChangeRecord.objects.filter(origin=settings.INSTALLATION_ID, object_uuid__in=list(accepted))
                       .values_list("object_uuid", "version"))
        record_many(ChangeKind.REPORT, [UnitReport(pk=pk) for uuid, (pk, version) in accepted.items()
                                        if (uuid, version) not in recorded])
