"""Reading the roll-up: the cells of a unit and of its children, a constant number of queries.

``rollup(unit, year)`` costs four queries whatever the subtree (a commune or the root): the cells
of the unit and its children summed per (unit, measure, level, kind, past due), the children, the
levels and the kinds (two tiny tables). The unit's own report is its cells minus its children's:
each child's cells hold its whole subtree, so no further query is needed.

``accepted_only`` counts tasks, points and indicators of accepted reports only (what the periodic
report documents state); the reporting rates always count every report, since they are about
which reports came in.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import fields

from django.db import connection
from django.utils import timezone

from orgtree.models import Level, OrgUnit, UnitKind
from reviews.rollup.engine import INDICATOR_PREFIX, REPORT_MEASURES, tables
from reviews.rollup.types import Measures, Rollup, RollupRow

COUNTED = {f.name for f in fields(Measures)} - {"indicators", "overdue"}

# Children are summed whole (level and kind only break the unit itself down): fewer rows back.
CELLS_SQL = """
SELECT c.year, c.unit_id, c.measure, dims.level_id, dims.kind_id, c.due < %(today)s AS past, SUM(c.value)::bigint
  FROM {cell} c JOIN {unit} s ON s.id = c.unit_id  -- a join: an index scan of (unit, year) per unit
 CROSS JOIN LATERAL (SELECT CASE WHEN c.unit_id = %(unit)s THEN c.level_id END AS level_id,
                            CASE WHEN c.unit_id = %(unit)s THEN c.kind_id END AS kind_id) AS dims
 WHERE (s.id = %(unit)s OR s.parent_id = %(unit)s)
   AND c.year = ANY(%(years)s)
   AND (c.accepted OR NOT %(accepted_only)s OR c.measure = ANY(%(report_measures)s))
 GROUP BY c.year, c.unit_id, c.measure, dims.level_id, dims.kind_id, past
HAVING SUM(c.value) <> 0
"""


def add(measures: Measures, measure: str, value: int, past: bool) -> None:
    """Count one summed cell into ``measures``."""
    if measure.startswith(INDICATOR_PREFIX):
        code = measure[len(INDICATOR_PREFIX):]
        measures.indicators[code] = measures.indicators.get(code, 0) + value
        return
    if measure in COUNTED:
        setattr(measures, measure, getattr(measures, measure) + value)
    if past and measure == "tasks":
        measures.overdue += value
    elif past and measure == "done":
        measures.overdue -= value


def subtract(total: Measures, parts) -> Measures:
    """``total`` minus the sum of ``parts``."""
    rest = Measures(indicators=dict(total.indicators))
    for name in COUNTED | {"overdue"}:
        setattr(rest, name, getattr(total, name) - sum(getattr(part, name) for part in parts))
    for part in parts:
        for code, value in part.indicators.items():
            rest.indicators[code] = rest.indicators.get(code, 0) - value
    rest.indicators = {code: value for code, value in rest.indicators.items() if value}
    return rest


def _rows(by_pk: dict, objects: dict, order) -> list[RollupRow]:
    """Breakdown rows keyed by the level's or kind's code (their rows are data, see orgtree)."""
    rows = []
    for pk in sorted(by_pk, key=order):
        obj = objects.get(pk)
        rows.append(RollupRow(key=obj.code if obj else str(pk), label=obj.name if obj else str(pk),
                              label_en=getattr(obj, "name_en", ""), measures=by_pk[pk]))
    return rows


def rollup_years(unit: OrgUnit, years, *, accepted_only: bool = False, today=None) -> dict[int, Rollup]:
    """One ``Rollup`` per year of ``years`` for ``unit``'s subtree, in the same four queries."""
    years = sorted({int(year) for year in years})
    today = today or timezone.localdate()
    params = {"years": years, "unit": unit.pk, "today": today, "accepted_only": accepted_only,
              "report_measures": list(REPORT_MEASURES)}
    with connection.cursor() as cursor:
        cursor.execute(CELLS_SQL.format(**tables()), params)
        cells = cursor.fetchall()
    children = list(OrgUnit.objects.filter(parent_id=unit.pk).select_related("kind", "level").order_by("lft"))
    levels = {level.pk: level for level in Level.objects.all()}
    kinds = {kind.pk: kind for kind in UnitKind.objects.all()}

    totals = defaultdict(Measures)
    by_child = defaultdict(lambda: defaultdict(Measures))
    by_level = defaultdict(lambda: defaultdict(Measures))
    by_kind = defaultdict(lambda: defaultdict(Measures))
    for year, unit_id, measure, level_id, kind_id, past, value in cells:
        if unit_id == unit.pk:
            add(totals[year], measure, value, past)
            add(by_level[year][level_id], measure, value, past)
            add(by_kind[year][kind_id], measure, value, past)
        else:
            add(by_child[year][unit_id], measure, value, past)

    result = {}
    for year in years:
        total = totals[year]
        child_rows = [RollupRow(key=child.code, label=child.name, label_en="", measures=by_child[year].get(child.pk, Measures()), unit=child)
                      for child in children]
        result[year] = Rollup(
            unit=unit, year=year, accepted_only=accepted_only, total=total,
            own=subtract(total, [row.measures for row in child_rows]),
            by_child=child_rows,
            by_level=_rows(by_level[year], levels, lambda pk: (levels[pk].rank, pk) if pk in levels else (99, pk)),
            by_kind=_rows(by_kind[year], kinds, lambda pk: (kinds[pk].category, kinds[pk].code) if pk in kinds else ("", str(pk))),
        )
    return result


def rollup(unit: OrgUnit, year: int, *, accepted_only: bool = False, today=None) -> Rollup:
    """``unit``'s subtree for ``year``: total, own report, each child, each level and kind."""
    return rollup_years(unit, [year], accepted_only=accepted_only, today=today)[int(year)]
