"""Keeping the roll-up cells by differences (docs/decisions/0006-reviews.md).

A report's contribution is a set of rows (measure, due, value) under the dimensions of the report's
unit (level, kind) and whether the report is accepted:

- per due date of its progress rows: ``tasks``, ``done``, ``in_progress``, ``not_done``,
  ``not_started`` and ``points`` (100 for done, the percent for in progress);
- due 31 December of the year: ``reports_expected`` (1 unless waived), ``reports_submitted`` (first
  submission recorded), ``reports_on_time`` (first submission by the report's due date),
  ``reports_accepted``, ``reports_waived``, and ``ind:<code>`` per indicator value.

A waived report contributes ``reports_waived`` only: the parent exempted the unit for the year, so
its task rows (never worked on) are neither counted nor overdue, and its indicators are not asked.

``apply_report_changes(report_ids)`` is what ``report_data_changed`` triggers. In two statements
whatever the number of reports (``open_reports`` sends thousands): lock the reports, then one
statement computes every new contribution, takes the old ones out, writes the new ones and adds
``new - old`` to the cells of each report's unit and of every ancestor (walking up the parents),
in a fixed key order so that concurrent writers lock cells in the same order and cannot deadlock.
"""
from __future__ import annotations

from django.conf import settings
from django.db import connection

from orgtree.models import OrgUnit
from reviews.models import (
    Indicator, IndicatorValue, ProgressStatus, ReportContribution, ReportStatus, RollupCell, TaskProgress, UnitReport,
)

TASK_MEASURES = ("tasks", "done", "in_progress", "not_done", "not_started", "points")
REPORT_MEASURES = ("reports_expected", "reports_submitted", "reports_on_time", "reports_accepted", "reports_waived")
INDICATOR_PREFIX = "ind:"
CELL_KEY = ("unit_id", "year", "measure", "due", "level_id", "kind_id", "accepted")
CONTRIBUTION_COLUMNS = ("report_id", "measure", "due", "level_id", "kind_id", "accepted", "value")


def tables() -> dict:
    return {
        "report": UnitReport._meta.db_table,
        "unit": OrgUnit._meta.db_table,
        "progress": TaskProgress._meta.db_table,
        "indicator_value": IndicatorValue._meta.db_table,
        "indicator": Indicator._meta.db_table,
        "contribution": ReportContribution._meta.db_table,
        "cell": RollupCell._meta.db_table,
    }


def status_params() -> dict:
    return {
        "tz": settings.TIME_ZONE,
        "accepted": ReportStatus.ACCEPTED.value, "waived": ReportStatus.WAIVED.value,
        "done": ProgressStatus.DONE.value, "in_progress": ProgressStatus.IN_PROGRESS.value,
        "not_done": ProgressStatus.NOT_DONE.value, "not_started": ProgressStatus.NOT_STARTED.value,
    }


# The reports concerned (``{where}`` picks them), with the dimensions they contribute under.
# "On time" reads the first submission's local date as UnitReport.submitted_on_time does.
REPORTS_CTE = """
r AS (
    SELECT ur.id AS report_id, ur.unit_id, ur.year, u.level_id, u.kind_id,
           ur.status = %(accepted)s AS accepted, ur.status = %(waived)s AS waived,
           ur.first_submitted_at IS NOT NULL AS submitted,
           COALESCE((ur.first_submitted_at AT TIME ZONE %(tz)s)::date <= ur.due_date, false) AS on_time,
           make_date(ur.year, 12, 31) AS year_end
      FROM {report} ur JOIN {unit} u ON u.id = ur.unit_id
     WHERE {where}
)"""

# What every report of ``r`` contributes: report_id, measure, due, level_id, kind_id, accepted, value.
CONTRIBUTIONS_SELECT = """
SELECT r.report_id, m.measure, p.due, r.level_id, r.kind_id, r.accepted, SUM(m.value)::bigint AS value
  FROM r JOIN {progress} p ON p.report_id = r.report_id
 CROSS JOIN LATERAL (VALUES
        ('tasks', 1),
        ('done', (p.status = %(done)s)::int),
        ('in_progress', (p.status = %(in_progress)s)::int),
        ('not_done', (p.status = %(not_done)s)::int),
        ('not_started', (p.status = %(not_started)s)::int),
        ('points', CASE WHEN p.status = %(done)s THEN 100
                        WHEN p.status = %(in_progress)s THEN COALESCE(p.percent, 0) ELSE 0 END)
       ) AS m(measure, value)
 WHERE NOT r.waived
 GROUP BY r.report_id, m.measure, p.due, r.level_id, r.kind_id, r.accepted
HAVING SUM(m.value) <> 0
UNION ALL
SELECT r.report_id, m.measure, r.year_end, r.level_id, r.kind_id, r.accepted, m.value::bigint
  FROM r CROSS JOIN LATERAL (VALUES
        ('reports_expected', (NOT r.waived)::int),
        ('reports_submitted', (NOT r.waived AND r.submitted)::int),
        ('reports_on_time', (NOT r.waived AND r.on_time)::int),
        ('reports_accepted', r.accepted::int),
        ('reports_waived', r.waived::int)
       ) AS m(measure, value)
 WHERE m.value <> 0
UNION ALL
SELECT r.report_id, 'ind:' || i.code, r.year_end, r.level_id, r.kind_id, r.accepted, v.value::bigint
  FROM r JOIN {indicator_value} v ON v.report_id = r.report_id JOIN {indicator} i ON i.id = v.indicator_id
 WHERE NOT r.waived AND v.value <> 0
"""

# Every unit of ``r`` with itself and each unit above it: (unit_id, ancestor_id). Walking up the
# parents costs one index lookup per level (depth <= 4); a lft/rght range join would scan, for each
# unit, every unit left of it (half the tree on average): fine for one report, not for the
# thousands that open_reports sends. Both describe the same ancestors (the tree lock keeps
# parent and lft/rght in step).
CHAIN_CTE = """
chain (unit_id, ancestor_id, parent_id) AS (
    SELECT u.id, u.id, u.parent_id FROM {unit} u WHERE u.id IN (SELECT unit_id FROM r)
    UNION ALL
    SELECT chain.unit_id, p.id, p.parent_id FROM chain JOIN {unit} p ON p.id = chain.parent_id
)"""

# new - old per cell key of the reports' units, then added to the unit's and every ancestor's cell.
APPLY_SQL = """
WITH RECURSIVE {reports_cte},
{chain_cte},
new AS (SELECT * FROM ({contributions}) AS contributions WHERE NOT %(withdraw)s),
old AS (
    DELETE FROM {contribution} c WHERE c.report_id = ANY(%(ids)s)
    RETURNING c.report_id, c.measure, c.due, c.level_id, c.kind_id, c.accepted, c.value
),
written AS (
    INSERT INTO {contribution} (report_id, measure, due, level_id, kind_id, accepted, value)
    SELECT report_id, measure, due, level_id, kind_id, accepted, value FROM new
     WHERE (SELECT count(*) FROM old) >= 0  -- the old rows are gone before the new ones go in
    RETURNING 1
),
delta AS (
    SELECT r.unit_id, r.year, d.measure, d.due, d.level_id, d.kind_id, d.accepted, SUM(d.value) AS value
      FROM (SELECT report_id, measure, due, level_id, kind_id, accepted, value FROM new
            UNION ALL
            SELECT report_id, measure, due, level_id, kind_id, accepted, -value FROM old) d
      JOIN r ON r.report_id = d.report_id
     GROUP BY r.unit_id, r.year, d.measure, d.due, d.level_id, d.kind_id, d.accepted
    HAVING SUM(d.value) <> 0
)
INSERT INTO {cell} (unit_id, year, measure, due, level_id, kind_id, accepted, value)
SELECT a.ancestor_id, d.year, d.measure, d.due, d.level_id, d.kind_id, d.accepted, SUM(d.value)
  FROM delta d JOIN chain a ON a.unit_id = d.unit_id
 WHERE (SELECT count(*) FROM written) >= 0
 GROUP BY a.ancestor_id, d.year, d.measure, d.due, d.level_id, d.kind_id, d.accepted
 ORDER BY a.ancestor_id, d.year, d.measure, d.due, d.level_id, d.kind_id, d.accepted
ON CONFLICT (unit_id, year, measure, due, level_id, kind_id, accepted)
DO UPDATE SET value = {cell}.value + EXCLUDED.value
"""


def contributions_query(where: str) -> tuple[str, str]:
    """(the ``r`` CTE, the SELECT of contributions over it) for the reports ``where`` picks."""
    names = tables()
    return REPORTS_CTE.format(where=where, **names), CONTRIBUTIONS_SELECT.format(**names)


def apply_report_changes(report_ids, *, withdraw: bool = False) -> None:
    """Bring the contributions of ``report_ids`` and the cells above them up to date. Runs inside
    the caller's transaction (the signal is sent inside the writing one). ``withdraw`` takes the
    reports' contributions out altogether (reports about to be deleted)."""
    ids = sorted({int(pk) for pk in report_ids})
    if not ids:
        return
    reports_cte, contributions = contributions_query("ur.id = ANY(%(ids)s)")
    sql = APPLY_SQL.format(reports_cte=reports_cte, chain_cte=CHAIN_CTE.format(**tables()), contributions=contributions,
                           **tables())
    params = {"ids": ids, "withdraw": withdraw, **status_params()}
    with connection.cursor() as cursor:
        # One writer per report at a time: a second one waits, then sees the first one's rows.
        cursor.execute(f"SELECT id FROM {tables()['report']} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])
        cursor.execute(sql, params)
