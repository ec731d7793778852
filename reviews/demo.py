"""A generated year of reports: every unit of a subtree reports on its derived plan.

``generate_year(root, year, seed=..., today=...)`` is what the tests, the bench and the Điện Biên
demo (``load_demo_reviews``) use:

1. every Front committee and member organization under ``root`` gets a plan derived from ``root``'s
   issued plan, by the real derivation (``run_subtree_job``, what ``plans.derive_subtree`` runs),
   and the drafts are issued, all in one audited update (``update_audited``; no ``PlanVersion``
   snapshot per plan, which ``plans.services.guidance.amending`` makes when a plan is first
   amended);
2. the year's reports are opened (``reviews.services.reports.open_reports``);
3. the reports opened by this call are filled at random (``seed`` makes it repeatable): statuses
   and percents of the task-periods (mostly done when past due), indicators, and approval states —
   most submitted on time, some late, some never; some returned, a few waived; accepted bottom-up
   only where every child's report is accepted or waived, as the approval rule demands.

Filling writes in bulk (``COPY``, a few statements whatever the size: no audit rows for generated
progress, indicators and approval states), then sends ``report_data_changed`` once for all
reports, so the roll-up cells end consistent. A national year (~65,000 reports, ~620,000
task-periods) takes minutes after the derivation, most of them in ``open_reports`` (README, bench).
A second call for the same year finds the reports opened and changes nothing.
"""
from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.db import connection, transaction
from django.utils import timezone

from mttq_platform.audit import acting_as, update_audited
from orgtree.models import OrgUnit
from plans.models import DerivationJob, DocumentKind, DocumentStatus, PlanDocument
from plans.models.base import PUBLISHED_STATUSES
from plans.services.derivation import DERIVED_UNIT_CATEGORIES, run_subtree_job
from reviews.models import (
    ApprovalAction, ApprovalEvent, Evidence, Indicator, IndicatorValue, ProgressStatus, ReportStatus, ReportVersion,
    TaskProgress, UnitReport,
)
from reviews.services.reports import current_plan, open_reports
from reviews.signals import report_data_changed

# What becomes of a report (before the bottom-up acceptance), with its weight.
FATES = [("on_time", 62), ("late", 16), ("never", 12), ("returned", 6), ("waived", 4)]
ACCEPT_SHARE = 0.7  # of the submitted reports whose children allow it
# Indicator ranges by level code (a commune holds a few supervisions, a province dozens).
SCALE = {"central": 40, "province": 12, "district": 5, "commune": 2}


@dataclass(frozen=True)
class YearSummary:
    year: int
    plans_derived: int
    plans_issued: int
    reports_opened: int  # and filled: only the reports this call opened are filled


class NoSourcePlan(Exception):
    pass


def generate_year(root: OrgUnit, year: int, *, seed: int = 2025, today: date | None = None) -> YearSummary:
    today = today or timezone.localdate()
    root = OrgUnit.objects.get(pk=root.pk)
    with acting_as(None, "demo"):
        derived, issued = _plans(root)
        with transaction.atomic():
            units = OrgUnit.objects.within(root)
            opened = open_reports(units, year)
            if opened:
                _fill([r.pk for r in opened], random.Random(f"{seed}-{year}-{root.code}"), today)
    return YearSummary(year, derived, issued, len(opened))


# -- plans ---------------------------------------------------------------------------------------------------------
def _plans(root: OrgUnit) -> tuple[int, int]:
    """Derive the missing plans under ``root`` from its issued plan and issue the drafts."""
    source = current_plan(root)
    if source is None:
        raise NoSourcePlan(f"{root.name} chưa có kế hoạch đã ban hành / {root.code} has no issued plan to derive from")
    job = DerivationJob.objects.filter(source_plan=source, root_unit=root, status=DerivationJob.Status.DONE).first()
    derived = 0
    if job is None:
        job = run_subtree_job(DerivationJob.objects.create(source_plan=source, root_unit=root).pk)
        if job.status != DerivationJob.Status.DONE:
            raise RuntimeError(job.error)
        derived = job.created_plans
    units = OrgUnit.objects.within(root).filter(kind__category__in=DERIVED_UNIT_CATEGORIES)
    published = PlanDocument.objects.filter(kind=DocumentKind.PLAN, status__in=PUBLISHED_STATUSES, unit__in=units)
    drafts = (PlanDocument.objects.filter(kind=DocumentKind.PLAN, status=DocumentStatus.DRAFT, unit__in=units,
                                          parent_plan__isnull=False)
              .exclude(unit__in=published.values("unit")).order_by("unit_id", "-pk").distinct("unit_id"))
    # What guidance.issue does to each draft, for all of them in one statement (a national year has
    # ~65,000: one issue() each would take most of an hour).
    with transaction.atomic():
        issued = update_audited(PlanDocument.objects.filter(pk__in=list(drafts.values_list("pk", flat=True))),
                                status=DocumentStatus.ISSUED, issued_at=timezone.now())
    return derived, issued


# -- filling -------------------------------------------------------------------------------------------------------
def _fill(report_ids: list[int], rng: random.Random, today: date) -> None:
    reports = list(UnitReport.objects.filter(pk__in=report_ids).select_related("unit__level").order_by("unit__lft"))
    _fill_progress(report_ids, rng, today)
    _fill_indicators(reports, rng)
    _fill_approval(reports, rng, today)
    report_data_changed.send(UnitReport, report_ids=report_ids)


def _progress_state(rng: random.Random, past_due: bool) -> tuple[str, int | None, str]:
    roll = rng.random()
    if past_due:
        if roll < 0.68:
            return ProgressStatus.DONE, 100, ""
        if roll < 0.80:
            return ProgressStatus.IN_PROGRESS, rng.randrange(10, 100, 10), ""
        if roll < 0.90:
            return ProgressStatus.NOT_DONE, None, "Chưa bố trí được kinh phí, nhân lực."
        return ProgressStatus.NOT_STARTED, None, ""
    if roll < 0.25:
        return ProgressStatus.DONE, 100, ""
    if roll < 0.60:
        return ProgressStatus.IN_PROGRESS, rng.randrange(10, 100, 10), ""
    return ProgressStatus.NOT_STARTED, None, ""


def _fill_progress(report_ids, rng, today) -> None:
    rows = []
    for pk, due in TaskProgress.objects.filter(report_id__in=report_ids).order_by("pk").values_list("pk", "due").iterator():
        status, percent, reason = _progress_state(rng, due < today)
        narrative = "Đã triển khai theo kế hoạch." if status != ProgressStatus.NOT_STARTED else ""
        rows.append((pk, status, percent, narrative, reason))
    update_from_values(TaskProgress, ["status", "percent", "narrative", "reason"], rows, casts=["text", "smallint", "text", "text"])


# Indicators that follow from another one (code -> (source code, lowest share, highest share)):
# recommendations answered are some of those made, resolved some of those answered; people trained
# are some tens per training.
DERIVED_INDICATORS = {"kn-tra-loi": ("kn-de-xuat", 0.5, 1.0), "kn-giai-quyet": ("kn-tra-loi", 0.4, 1.0),
                      "th-nguoi": ("th-lop", 20, 60)}


def _fill_indicators(reports, rng) -> None:
    indicators = list(Indicator.objects.filter(active=True).order_by("order", "code"))
    by_code = {i.code: i for i in indicators}
    # Sources first; DERIVED_INDICATORS lists each after the one it follows from.
    ordered = [i for i in indicators if i.code not in DERIVED_INDICATORS] + [
        by_code[code] for code in DERIVED_INDICATORS if code in by_code]
    values = []
    for report in reports:
        scale = SCALE.get(report.unit.level.code, 2)
        these = {}
        for indicator in ordered:
            derived = DERIVED_INDICATORS.get(indicator.code)
            if derived and derived[0] in these:
                source, low, high = derived
                these[indicator.code] = round(these[source] * rng.uniform(low, high))
            elif rng.random() < 0.8:
                these[indicator.code] = rng.randint(0, scale * 3)
        values += [(report.pk, i.pk, these[i.code], "") for i in indicators if i.code in these]
    copy_rows(IndicatorValue, ["report_id", "indicator_id", "value", "note"], values)


def _at(day: date, rng: random.Random) -> datetime:
    """Office hours on ``day``, in UTC as read back from the database (the snapshots say the same)."""
    local = timezone.make_aware(datetime.combine(day, time(8 + rng.randrange(9), rng.randrange(60))))
    return local.astimezone(dt_timezone.utc)


def _fill_approval(reports, rng, today) -> None:
    """Fates first, then acceptance from the communes up: a report is accepted only when every
    report of its children is accepted or waived."""
    fate = {r.pk: rng.choices([f for f, _ in FATES], [w for _, w in FATES])[0] for r in reports}
    submitted_on = {}
    for report in reports:
        due = report.due_date
        if fate[report.pk] in ("on_time", "returned"):
            day = due - timedelta(days=rng.randrange(0, 20))
        elif fate[report.pk] == "late":
            day = due + timedelta(days=rng.randrange(1, 40))
        else:
            continue
        if day <= today:
            submitted_on[report.pk] = day
        else:
            fate[report.pk] = "never"  # not yet, as of today

    children = {}
    for report in reports:
        children.setdefault(report.unit.parent_id, []).append(report)
    status = {}
    for report in sorted(reports, key=lambda r: -r.unit.depth):
        if fate[report.pk] == "waived":
            status[report.pk] = ReportStatus.WAIVED
        elif fate[report.pk] == "never":
            status[report.pk] = ReportStatus.DRAFT
        elif fate[report.pk] == "returned":
            status[report.pk] = ReportStatus.RETURNED
        elif (all(status[c.pk] in (ReportStatus.ACCEPTED, ReportStatus.WAIVED) for c in children.get(report.unit_id, ()))
              and rng.random() < ACCEPT_SHARE):
            status[report.pk] = ReportStatus.ACCEPTED
        else:
            status[report.pk] = ReportStatus.SUBMITTED

    rows, events = [], []
    for report in reports:
        state = status[report.pk]
        day = submitted_on.get(report.pk)
        first = _at(day, rng) if day else None
        accepted = _at(min(day + timedelta(days=rng.randrange(1, 10)), today), rng) if state == ReportStatus.ACCEPTED else None
        rows.append((report.pk, state, first, first, accepted))
        report.status, report.first_submitted_at, report.submitted_at, report.accepted_at = state, first, first, accepted
        if first:
            events.append((report, ApprovalAction.SUBMIT, first, ""))
        if state == ReportStatus.RETURNED:
            events.append((report, ApprovalAction.RETURN, min(first + timedelta(days=2), _at(today, rng)),
                           "Đề nghị bổ sung số liệu, minh chứng."))
        if state == ReportStatus.ACCEPTED:
            events.append((report, ApprovalAction.ACCEPT, accepted, ""))
        if state == ReportStatus.WAIVED:
            events.append((report, ApprovalAction.WAIVE, _at(min(report.due_date, today), rng), "Đơn vị mới thành lập."))
    update_from_values(UnitReport, ["status", "first_submitted_at", "submitted_at", "accepted_at"], rows,
                       casts=["text", "timestamptz", "timestamptz", "timestamptz"])
    copy_rows(ApprovalEvent, ["report_id", "action", "version", "comment", "actor_unit_id", "at"],
              [(report.pk, action, 1, comment,
                report.unit_id if action == ApprovalAction.SUBMIT else report.unit.parent_id, at)
               for report, action, at, comment in events])
    # The accepted version stays readable after a reopening, as approval.accept keeps it.
    accepted = [report for report in reports if report.status == ReportStatus.ACCEPTED]
    now = timezone.now()
    copy_rows(ReportVersion, ["report_id", "version", "snapshot", "accepted_at", "created_at"],
              [(report.pk, report.version, json.dumps(content, ensure_ascii=False), report.accepted_at, now)
               for report, content in zip(accepted, snapshots(accepted))])


def snapshots(reports: list[UnitReport]) -> list[dict]:
    """``reviews.services.approval.snapshot`` of each report (same content, same order), in three
    queries for all of them instead of four per report (tests/reviews/test_demo.py keeps the two
    equal)."""
    ids = [report.pk for report in reports]
    evidence = {}
    for e in Evidence.objects.filter(progress__report_id__in=ids).order_by("pk"):
        evidence.setdefault(e.progress_id, []).append(
            {"uuid": str(e.uuid), "name": e.original_name, "size": e.size, "sha256": e.sha256})
    progress = {}
    for row in (TaskProgress.objects.filter(report_id__in=ids)
                .order_by("report_id", "due", "task__order", "period_key", "pk")
                .values("report_id", "pk", "task_id", "task__number", "task__text", "period_key", "period_label", "due",
                        "status", "percent", "narrative", "reason").iterator(chunk_size=5000)):
        progress.setdefault(row["report_id"], []).append({
            "id": row["pk"], "task": row["task_id"], "task_number": row["task__number"], "task_text": row["task__text"],
            "period_key": row["period_key"], "period_label": row["period_label"], "due": row["due"].isoformat(),
            "status": row["status"], "percent": row["percent"], "narrative": row["narrative"], "reason": row["reason"],
            "evidence": evidence.get(row["pk"], []),
        })
    indicators = {}
    for report_id, code, value in (IndicatorValue.objects.filter(report_id__in=ids)
                                   .order_by("report_id", "indicator__order", "indicator__code")
                                   .values_list("report_id", "indicator__code", "value")):
        indicators.setdefault(report_id, {})[code] = value
    return [{
        "unit": report.unit.code,
        "year": report.year,
        "version": report.version,
        "summary": report.summary,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "first_submitted_at": report.first_submitted_at.isoformat() if report.first_submitted_at else None,
        "progress": progress.get(report.pk, []),
        "indicators": indicators.get(report.pk, {}),
    } for report in reports]


# -- writing in bulk -----------------------------------------------------------------------------------------------
def _copy_text(value) -> str:
    """One field of PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))


def _copy_into(cursor, table: str, columns: list[str], rows) -> None:
    data = io.StringIO("".join("\t".join(_copy_text(v) for v in row) + "\n" for row in rows))
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", data)


def copy_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``model``'s table with one ``COPY``:
    no model instances, no per-row statement."""
    if rows:
        with connection.cursor() as cursor:
            _copy_into(cursor, model._meta.db_table, columns, rows)


def update_from_values(model, columns: list[str], rows: list[tuple], *, casts: list[str]) -> None:
    """``UPDATE table SET columns FROM`` the rows (``(id, *values)``), copied into a temporary table:
    three statements whatever the number of rows."""
    if not rows:
        return
    table = model._meta.db_table
    assignments = ", ".join(f"{c} = v.{c}" for c in columns)
    with connection.cursor() as cursor:
        typed = ", ".join(f"{c} {t}" for c, t in zip(columns, casts))
        cursor.execute(f"CREATE TEMPORARY TABLE demo_rows (id bigint, {typed})")
        try:
            _copy_into(cursor, "demo_rows", ["id", *columns], rows)
            cursor.execute(f"UPDATE {table} t SET {assignments} FROM demo_rows v WHERE t.id = v.id")
        finally:
            cursor.execute("DROP TABLE demo_rows")
