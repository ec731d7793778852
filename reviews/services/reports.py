"""Opening a year's reports: one report per unit with an issued plan, one progress row per task and
reporting period of the year.

The periods come from each task's timeframe (``Timeframe.periods``). A task whose timeframe fixes
no date at all (event-triggered, "theo kế hoạch") still gets one row a year, due on 31 December, so
that every task of the plan is reported on once a year; a task dated in other years ("Năm 2023")
gives no row in 2025.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.db import transaction

from orgtree.models import OrgUnit
from orgtree.models.units import active_during_q
from plans.models import DocumentKind, PlanDocument, Task
from plans.models.base import PUBLISHED_STATUSES
from plans.parsing.timeframes import DEFAULT_DIRECTIVE_YEAR, Period, parse_timeframe
from mttq_platform.audit import bulk_create_audited
from reviews.models import TaskProgress, UnitReport
from reviews.services.errors import ReviewError
from reviews.signals import report_data_changed

BATCH = 2000


def default_due_date(year: int) -> date:
    """Annual reports reach the People's Council before its year-end session (seed II.4.1)."""
    return date(year, 12, 15)


def period_key(period: Period) -> str:
    """A short key, stable across re-openings, for a period inside its year."""
    y = period.end.year
    if period.kind == "year":
        return str(y)
    if period.kind == "quarter":
        return f"{y}-Q{(period.start.month - 1) // 3 + 1}"
    if period.kind == "month":
        return f"{y}-M{period.start.month:02d}"
    if period.kind == "half":
        return f"{y}-H{1 if period.start.month == 1 else 2}"
    if period.kind == "milestone" and period.milestone:
        return f"{y}-{'P' if period.milestone.kind == 'preliminary' else 'F'}{period.milestone.years_after}"
    if period.kind == "range":
        return f"{y}-R{period.start:%Y%m}"
    return f"{y}-D{period.due:%m%d}"  # a deadline


@lru_cache(maxsize=4096)
def _periods(timeframe_text: str, year: int, directive_year: int) -> tuple[Period, ...]:
    timeframe = parse_timeframe(timeframe_text or "")
    periods = timeframe.periods(year, year, directive_year)
    if periods:
        return tuple(periods)
    if timeframe.periods(year - 30, year + 30, directive_year):
        return ()  # dated, in other years ("Năm 2023" is not reported on in 2025)
    return (Period("year", f"Năm {year}", date(year, 1, 1), date(year, 12, 31), date(year, 12, 31), "unscheduled"),)


def task_periods(task: Task, year: int, directive_year: int | None = None) -> tuple[Period, ...]:
    return _periods(task.timeframe_text, year, directive_year or DEFAULT_DIRECTIVE_YEAR)


def current_plan(unit: OrgUnit) -> PlanDocument | None:
    """The unit's plan in force: its latest published plan document."""
    return (
        PlanDocument.objects.filter(unit=unit, kind=DocumentKind.PLAN, status__in=PUBLISHED_STATUSES)
        .order_by("-date", "-issued_at", "-pk").first()
    )


def open_report(unit: OrgUnit, year: int, *, due_date: date | None = None) -> UnitReport:
    """The unit's report for ``year``, made (with its progress rows) if it does not exist yet."""
    existing = UnitReport.objects.filter(unit=unit, year=year).first()
    if existing:
        return existing
    if not unit.is_active_during(date(year, 1, 1), date(year, 12, 31)):
        raise ReviewError(f"{unit.name} không hoạt động trong năm {year}: không có báo cáo năm này.",
                          f"{unit.code} was not active in {year}: it has no report for that year.", code="inactive")
    opened = open_reports(OrgUnit.objects.filter(pk=unit.pk), year, due_date=due_date)
    if opened:
        return opened[0]
    # No issued plan: the unit still reports its indicators for the year.
    with transaction.atomic():
        report = UnitReport.objects.create(unit=unit, year=year, due_date=due_date or default_due_date(year))
        report_data_changed.send(UnitReport, report_ids=[report.pk])
    return report


@transaction.atomic
def open_reports(units, year: int, *, due_date: date | None = None) -> list[UnitReport]:
    """Reports for ``year`` for every unit of ``units`` that has an issued plan and no report yet,
    and was active during the year (a unit a reform ended reports for its last year, not after).
    Safe to run again: what exists is left as it is."""
    due_date = due_date or default_due_date(year)
    plans = {}
    for plan in (
        PlanDocument.objects.filter(unit__in=units, kind=DocumentKind.PLAN, status__in=PUBLISHED_STATUSES)
        .filter(active_during_q(date(year, 1, 1), date(year, 12, 31), prefix="unit__"))
        .exclude(unit__reports__year=year).select_related("unit").order_by("unit_id", "date", "issued_at", "pk")
    ):
        plans[plan.unit_id] = plan  # the latest wins
    if not plans:
        return []
    reports = bulk_create_audited(
        # The unit object rides along: each audit row names the report by its unit without a query.
        UnitReport, [UnitReport(unit=plan.unit, year=year, plan=plan, due_date=due_date) for plan in plans.values()]
    )
    by_plan = {report.plan_id: report for report in reports}
    rows = []
    tasks = Task.objects.filter(document_id__in=by_plan).select_related("document").only(
        "id", "document_id", "timeframe_text", "document__directive_year"
    )
    for task in tasks.iterator(chunk_size=BATCH):
        report = by_plan[task.document_id]
        for period in task_periods(task, year, task.document.directive_year):
            rows.append(TaskProgress(
                report=report, task_id=task.pk, period_key=period_key(period), period_label=period.label,
                period_start=period.start, period_end=period.end, due=period.due,
            ))
        if len(rows) >= BATCH:
            bulk_create_audited(TaskProgress, rows)
            rows = []
    if rows:
        bulk_create_audited(TaskProgress, rows)
    report_data_changed.send(UnitReport, report_ids=[r.pk for r in reports])
    return reports
