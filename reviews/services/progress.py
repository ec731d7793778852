"""Recording a report's content: progress of each task and period, the year's indicators, evidence.

Every write locks the report row first (``select_for_update``), so a write racing a submission or
an acceptance either lands before it or is refused after it; then it checks, through the one
restriction, that the user may change the report's own unit, and that the report is still being
drafted (draft or returned). Nothing is half-saved when a value is refused.

Percent: kept only for "in progress" (0-100, or none yet); a done row stores 100, the other
statuses store none, so ``TaskProgress.points`` and the stored percent never disagree.
"""
from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from mttq_platform.audit import acting_as, current_actor
from reviews.models import Evidence, Indicator, IndicatorValue, ProgressStatus, ReportStatus, TaskProgress, UnitReport
from reviews.models.reports import private_storage
from reviews.services.errors import ReviewError
from reviews.services.evidence import check_evidence_file, delete_with_file, stored_name
from reviews.signals import report_data_changed

EDITABLE_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)


def may_change_unit_report(user, report: UnitReport) -> bool:
    """The right of the report's own unit: "change" on it through the one restriction."""
    return UnitReport.objects.restrict(user, "change").filter(pk=report.pk).exists()


def can_edit(user, report: UnitReport) -> bool:
    """Whether ``user`` may record progress, indicators and evidence on ``report`` now."""
    return report.status in EDITABLE_STATUSES and may_change_unit_report(user, report)


@contextmanager
def audited_as(user):
    """Audit rows written inside name ``user``; a request already acting for them keeps its id."""
    actor = current_actor()
    if actor is not None and actor.pk == getattr(user, "pk", None):
        yield
        return
    with acting_as(user if getattr(user, "pk", None) else None, "web"):
        yield


@contextmanager
def locked_report(report_id: int, user):
    """The report row, locked for the rest of the transaction, with writes audited as ``user``.
    Only the report row is locked (``of=self``), not its unit."""
    with transaction.atomic(), audited_as(user):
        yield UnitReport.objects.select_for_update(of=("self",)).select_related("unit").get(pk=report_id)


def refresh_from(target: UnitReport, source: UnitReport) -> None:
    """Give the caller's instance what was written on the locked copy (and its audit baseline)."""
    if target is source:
        return
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._audit_loaded = getattr(source, "_audit_loaded", None)


def ensure_editable(user, report: UnitReport) -> None:
    """Refuse unless ``report`` (locked by the caller) may be edited by ``user`` now."""
    if not may_change_unit_report(user, report):
        raise ReviewError(
            "Bạn không có quyền sửa báo cáo của đơn vị này.",
            "You may not edit this unit's report.",
            code="permission_denied",
        )
    if report.status not in EDITABLE_STATUSES:
        raise ReviewError(
            f"Báo cáo đang ở trạng thái “{report.get_status_display()}”, không sửa được. "
            "Chỉ sửa được báo cáo đang soạn hoặc bị trả lại.",
            f"The report is {report.status}; only a draft or returned report can be edited.",
            code="locked",
        )


def _clean_percent(percent) -> int | None:
    if percent is None or percent == "":
        return None
    if isinstance(percent, bool):
        raise _bad_percent()
    try:
        value = int(str(percent).strip())
    except ValueError:
        raise _bad_percent() from None
    if str(value) != str(percent).strip() or not 0 <= value <= 100:
        raise _bad_percent()
    return value


def _bad_percent() -> ReviewError:
    return ReviewError("Tỷ lệ hoàn thành phải là số nguyên từ 0 đến 100.",
                       "The percentage must be a whole number from 0 to 100.", code="invalid")


def record_progress(progress: TaskProgress, *, user, status, percent=None, narrative: str = "",
                    reason: str = "") -> TaskProgress:
    """Record the status of one task in one period; returns the saved row."""
    if status not in ProgressStatus.values:
        raise ReviewError("Tình trạng thực hiện không hợp lệ.", f"Unknown progress status {status!r}.", code="invalid")
    percent = _clean_percent(percent)
    narrative = (narrative or "").strip()
    reason = (reason or "").strip()
    if status == ProgressStatus.NOT_DONE and not reason:
        raise ReviewError("Nhiệm vụ không hoàn thành phải ghi rõ lý do.",
                          "A task not done needs a reason.", code="reason_required")
    if status == ProgressStatus.DONE:
        percent = 100
    elif status != ProgressStatus.IN_PROGRESS:
        percent = None
    with locked_report(progress.report_id, user) as report:
        ensure_editable(user, report)
        row = TaskProgress.objects.get(pk=progress.pk)
        row.report = report
        row.status, row.percent, row.narrative, row.reason = status, percent, narrative, reason
        row.updated_by = user if getattr(user, "pk", None) else None
        row.save()
        report_data_changed.send(UnitReport, report_ids=[report.pk])
    for field in ("status", "percent", "narrative", "reason", "updated_by_id", "updated_at"):
        setattr(progress, field, getattr(row, field))
    progress._audit_loaded = row._audit_loaded
    return row


def _clean_count(code: str, value) -> int | None:
    """A count: a non-negative whole number (an int, or its digits as text); blank means not given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or isinstance(value, float) or not text.isdigit():
        raise ReviewError(f"Chỉ tiêu “{code}”: giá trị phải là số nguyên không âm (nhận được “{value}”).",
                          f"Indicator {code!r}: the value must be a non-negative whole number (got {value!r}).",
                          code="invalid")
    if len(text) > 12:  # no count of this work reaches a trillion: a typo, not a figure
        raise ReviewError(f"Chỉ tiêu “{code}”: giá trị quá lớn.", f"Indicator {code!r}: the value is too large.",
                          code="invalid")
    return int(text)


def set_indicators(report: UnitReport, values: dict, *, user) -> list[IndicatorValue]:
    """Set the year's indicator values of ``report`` ({indicator code: count}). Codes not in the
    active catalogue are refused; a blank value leaves that indicator as it is. Returns the rows
    written."""
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=list(values), active=True)}
    unknown = sorted(set(values) - set(indicators))
    if unknown:
        raise ReviewError(f"Chỉ tiêu không có hoặc đã ngừng dùng: {', '.join(unknown)}.",
                          f"Unknown or inactive indicators: {', '.join(unknown)}.", code="invalid")
    cleaned = {code: _clean_count(code, value) for code, value in values.items()}
    cleaned = {code: value for code, value in cleaned.items() if value is not None}
    written = []
    with locked_report(report.pk, user) as locked:
        ensure_editable(user, locked)
        existing = {row.indicator_id: row for row in IndicatorValue.objects.filter(report=locked)}
        for code, value in cleaned.items():
            indicator = indicators[code]
            row = existing.get(indicator.pk)
            if row is None:
                row = IndicatorValue(report=locked, indicator=indicator, value=value)
            elif row.value == value:
                continue
            row.report = locked
            row.value = value
            row.save()
            written.append(row)
        if written:
            report_data_changed.send(UnitReport, report_ids=[locked.pk])
    return written


def attach_evidence(progress: TaskProgress, uploaded_file, *, user, description: str = "") -> Evidence:
    """Store ``uploaded_file`` as evidence of ``progress`` in private storage, after checking its
    type by content and its size (see reviews.services.evidence)."""
    checked = check_evidence_file(uploaded_file)
    with locked_report(progress.report_id, user) as report:
        ensure_editable(user, report)
        row = TaskProgress.objects.get(pk=progress.pk)
        row.report = report
        evidence = Evidence(
            progress=row, original_name=(uploaded_file.name or "")[:255], content_type=checked.content_type,
            size=checked.size, sha256=checked.sha256, description=(description or "").strip()[:255],
            uploaded_by=user if getattr(user, "pk", None) else None,
        )
        evidence.file.save(stored_name(uploaded_file.name, checked.extension), uploaded_file, save=False)
        stored = evidence.file.name
        try:
            evidence.save()
        except Exception:
            private_storage.delete(stored)
            raise
    return evidence


def remove_evidence(evidence: Evidence, *, user) -> None:
    """Delete an evidence row of an editable report; its file goes once the deletion is committed."""
    with locked_report(evidence.progress.report_id, user) as report:
        ensure_editable(user, report)
        delete_with_file(Evidence.objects.get(pk=evidence.pk))


def set_summary(report: UnitReport, summary: str, *, user) -> UnitReport:
    """The report's summary of results (kept in the accepted snapshot; no total depends on it)."""
    with locked_report(report.pk, user) as locked:
        ensure_editable(user, locked)
        locked.summary = (summary or "").strip()
        locked.save()
    refresh_from(report, locked)
    return report
