"""Figures of reviews (issue 4): the roll-up of a national year of reports, at the root, at a
province and at a district, beside a naive recomputation from the report rows.

The year is made once, unmeasured, by ``reviews.demo.generate_year`` from the central plan (the
seed, imported into the central committee and issued): every unit of the tree derives its plan,
has it issued, opens its report for the year (every task, every period) and fills it; the roll-up
cells follow through ``report_data_changed``. Ours reads the cells (``rollup``: a constant number
of queries); naive reads every report, progress row and indicator value of the subtree and adds
them up in Python (``NaiveRollup``, what the tests compare with). Both must give the same total and
the same row for every child.
"""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from bench.context import BenchContext
from bench.core import BenchError, Comparison, figure, measure
from orgtree.models import OrgUnit
from plans.models import DocumentStatus, PlanDocument
from plans.services.importing import import_plan_file
from reviews.demo import generate_year
from reviews.models import TaskProgress, UnitReport
from reviews.rollup.reading import rollup
from reviews.rollup.rebuild import NaiveRollup

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"
YEAR = 2025
TODAY = date(2026, 1, 20)  # the year is over; the reports of the late units are still coming in
SEED_NUMBER = "bench-rollup"


def national_year(ctx: BenchContext) -> dict:
    """Generate the year once per run (the first roll-up figure pays for it, unmeasured; its time is
    reported as ``setup_seconds``: the derivation of every unit's plan, then the year itself)."""
    if getattr(ctx, "_rollup_year", None) is None:
        started = time.perf_counter()
        central = OrgUnit.objects.get(code="TW")
        if not PlanDocument.objects.filter(unit=central, number=SEED_NUMBER).exists():
            plan = import_plan_file(SEED, central)
            PlanDocument.objects.filter(pk=plan.pk).update(status=DocumentStatus.ISSUED, number=SEED_NUMBER)
        summary = generate_year(central, YEAR, seed=2025, today=TODAY)
        ctx._rollup_year = {
            "setup_seconds": round(time.perf_counter() - started, 1),
            "reports": UnitReport.objects.filter(year=YEAR).count(),
            "task_periods": TaskProgress.objects.filter(report__year=YEAR).count(),
            "plans_derived": summary.plans_derived,
        }
    return ctx._rollup_year


def _answer(result) -> tuple:
    return result.total, tuple((row.key, row.measures) for row in result.by_child)


def _naive(unit: OrgUnit):
    naive = NaiveRollup(unit, YEAR, today=TODAY)
    return naive.measures(unit), tuple(
        (child.code, naive.measures(child)) for child in OrgUnit.objects.filter(parent=unit).order_by("lft"))


def _rollup_figure(ctx: BenchContext, unit: OrgUnit, where: str) -> Comparison:
    year = national_year(ctx)
    ours = measure(lambda: rollup(unit, YEAR, today=TODAY), ctx.repeat)
    naive = measure(lambda: _naive(unit), 1)  # minutes at the root of the country: run once
    if _answer(ours.result) != naive.result:
        raise BenchError(f"rollup at {unit.code}: the cells and the naive recomputation differ")
    total = ours.result.total
    note = (f"rollup({where} {unit.code}, {YEAR}): {total.reports_expected:,} reports expected, {total.tasks:,} "
            f"task-periods, {len(ours.result.by_child)} children, read from the roll-up cells in {ours.queries} "
            f"queries; naive = every report, progress row and indicator of the subtree read and added up in "
            f"Python. The year: {year['reports']:,} reports, {year['task_periods']:,} task-periods, generated in "
            f"{year['setup_seconds']:,.0f} s ({year['plans_derived']:,} plans derived on the way)")
    return Comparison(ours, naive, note, extra={"unit": unit.code, "tasks": total.tasks, **year})


@figure("Roll-up of a national year at the root")
def rollup_root(ctx: BenchContext) -> Comparison:
    return _rollup_figure(ctx, OrgUnit.objects.get(code="TW"), "the root")


@figure("Roll-up of a national year at a province")
def rollup_province(ctx: BenchContext) -> Comparison:
    return _rollup_figure(ctx, OrgUnit.objects.get(pk=ctx.province.pk), "province")


@figure("Roll-up of a national year at a district")
def rollup_district(ctx: BenchContext) -> Comparison:
    return _rollup_figure(ctx, OrgUnit.objects.get(pk=ctx.commune.parent_id), "district")
