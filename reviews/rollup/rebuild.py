"""The full rebuild of a year's roll-up (set-based, over ``lft/rght`` ranges) and the naive check.

``rebuild(year)`` recomputes every contribution of the year's reports and every cell from them in
four set-based statements, whatever the size of the tree: what a tree move needs (the moved
units' old ancestors still hold their contributions) and what ``rebuild_rollup`` runs. It locks
the two tables against the incremental writers for its duration, so that none of their
differences is lost or counted twice.

``NaiveRollup`` is the straightforward recomputation the tests and ``rebuild_rollup --check`` compare
with: it reads the reports, progress rows and indicator values of the subtree and adds them up in
Python, unit by unit, without any cell.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from orgtree.models import OrgUnit
from reviews.models import IndicatorValue, ProgressStatus, ReportStatus, TaskProgress, UnitReport
from reviews.rollup.engine import contributions_query, status_params, tables
from reviews.rollup.reading import rollup
from reviews.rollup.types import Measures


@transaction.atomic
def rebuild(year: int | None = None) -> int:
    """Recompute the contributions and cells of ``year`` (every year when None); returns the
    number of cells written."""
    names = tables()
    where = "ur.year = %(year)s" if year is not None else "true"
    cell_year = "year = %(year)s" if year is not None else "true"
    reports_cte, contributions = contributions_query(where)
    params = {"year": year, **status_params()}
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {names['contribution']}, {names['cell']} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {names['cell']} WHERE {cell_year}", params)
        cursor.execute(
            f"DELETE FROM {names['contribution']} c USING {names['report']} ur WHERE ur.id = c.report_id AND {where}", params)
        cursor.execute(
            f"WITH {reports_cte} INSERT INTO {names['contribution']} "
            f"(report_id, measure, due, level_id, kind_id, accepted, value) {contributions}", params)
        # Summed per unit first, then each unit collects the units inside its lft/rght range: an
        # index range scan per unit, the size of its subtree, so n x depth pairs in all.
        cursor.execute(f"""
            WITH per_unit AS (
                SELECT ur.unit_id, ur.year, c.measure, c.due, c.level_id, c.kind_id, c.accepted, SUM(c.value) AS value
                  FROM {names['contribution']} c JOIN {names['report']} ur ON ur.id = c.report_id
                 WHERE {where}
                 GROUP BY ur.unit_id, ur.year, c.measure, c.due, c.level_id, c.kind_id, c.accepted
            ),
            reporting AS (SELECT DISTINCT unit_id FROM per_unit),
            above AS (
                SELECT u.id AS unit_id, a.id AS ancestor_id
                  FROM {names['unit']} a
                  JOIN {names['unit']} u ON u.tree_id = a.tree_id AND u.lft BETWEEN a.lft AND a.rght
                 WHERE u.id IN (SELECT unit_id FROM reporting)
            )
            INSERT INTO {names['cell']} (unit_id, year, measure, due, level_id, kind_id, accepted, value)
            SELECT above.ancestor_id, p.year, p.measure, p.due, p.level_id, p.kind_id, p.accepted, SUM(p.value)
              FROM per_unit p JOIN above ON above.unit_id = p.unit_id
             GROUP BY above.ancestor_id, p.year, p.measure, p.due, p.level_id, p.kind_id, p.accepted
            HAVING SUM(p.value) <> 0""", params)
        return cursor.rowcount


# -- the naive recomputation ----------------------------------------------------------------------------------------
@dataclass
class _Report:
    unit_id: int
    lft: int
    rght: int
    tree_id: int
    status: str
    submitted: bool
    on_time: bool


class NaiveRollup:
    """Everything of ``year`` under ``root`` read once as plain rows; ``measures(unit)`` adds up
    the rows of the unit's subtree in Python, the way one would by hand."""

    def __init__(self, root: OrgUnit, year: int, *, today: date | None = None):
        self.year = year
        self.today = today or timezone.localdate()
        root = OrgUnit.objects.get(pk=root.pk)
        self.units = {u.pk: u for u in OrgUnit.objects.within(root)}
        self.reports = {}
        for report in UnitReport.objects.filter(year=year, unit__in=list(self.units)):
            unit = self.units[report.unit_id]
            self.reports[report.pk] = _Report(unit.pk, unit.lft, unit.rght, unit.tree_id, report.status,
                                              report.first_submitted_at is not None, report.submitted_on_time)
        self.progress = defaultdict(list)
        for row in TaskProgress.objects.filter(report_id__in=list(self.reports)).only("report_id", "status", "percent", "due"):
            self.progress[row.report_id].append(row)
        self.indicators = defaultdict(list)
        for value in IndicatorValue.objects.filter(report_id__in=list(self.reports)).select_related("indicator"):
            self.indicators[value.report_id].append((value.indicator.code, value.value))

    def within(self, unit: OrgUnit, report: _Report) -> bool:
        return report.tree_id == unit.tree_id and unit.lft <= report.lft and report.rght <= unit.rght

    def measures(self, unit: OrgUnit, *, accepted_only: bool = False, only=None) -> Measures:
        """The unit's subtree (or the reports ``only`` keeps) counted from the rows."""
        unit = self.units[unit.pk]
        m = Measures()
        for report_id, report in self.reports.items():
            if not self.within(unit, report) or (only is not None and not only(unit, report)):
                continue
            waived = report.status == ReportStatus.WAIVED
            accepted = report.status == ReportStatus.ACCEPTED
            m.reports_waived += waived
            m.reports_expected += not waived
            m.reports_submitted += (not waived) and report.submitted
            m.reports_on_time += (not waived) and report.on_time
            m.reports_accepted += accepted
            if waived or (accepted_only and not accepted):
                continue
            for row in self.progress[report_id]:
                m.tasks += 1
                m.done += row.status == ProgressStatus.DONE
                m.in_progress += row.status == ProgressStatus.IN_PROGRESS
                m.not_done += row.status == ProgressStatus.NOT_DONE
                m.not_started += row.status == ProgressStatus.NOT_STARTED
                m.points += row.points
                m.overdue += row.due < self.today and row.status != ProgressStatus.DONE
            for code, value in self.indicators[report_id]:
                if value:
                    m.indicators[code] = m.indicators.get(code, 0) + value
        return m

    def own(self, unit: OrgUnit, **kwargs) -> Measures:
        return self.measures(unit, only=lambda u, report: report.unit_id == u.pk, **kwargs)


def check(root: OrgUnit, year: int, *, today: date | None = None, accepted_only: bool = False) -> list[str]:
    """Compare ``rollup()`` with the naive recomputation for every unit under ``root`` (its total,
    its own report and each child); returns the differences, empty when they agree."""
    naive = NaiveRollup(root, year, today=today)
    problems = []
    for unit in sorted(naive.units.values(), key=lambda u: u.lft):
        got = rollup(unit, year, accepted_only=accepted_only, today=naive.today)
        expected = naive.measures(unit, accepted_only=accepted_only)
        if got.total != expected:
            problems.append(f"{unit.code} total: cells {got.total} != naive {expected}")
        own = naive.own(unit, accepted_only=accepted_only)
        if got.own != own:
            problems.append(f"{unit.code} own: cells {got.own} != naive {own}")
        for row in got.by_child:
            expected_child = naive.measures(row.unit, accepted_only=accepted_only)
            if row.measures != expected_child:
                problems.append(f"{unit.code} child {row.key}: cells {row.measures} != naive {expected_child}")
    return problems
