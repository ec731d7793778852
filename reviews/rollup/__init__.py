"""Roll-up of reports over a unit's subtree (docs/decisions/0006-reviews.md).

Reading: ``rollup(unit, year)`` -> ``Rollup``; ``rollup_years(unit, years)`` -> one ``Rollup`` per
year (indicators over years, the 3/5/10-year reviews). Both cost a constant number of queries.
"""
from reviews.rollup.types import Measures, Rollup, RollupRow

__all__ = ["Measures", "Rollup", "RollupRow"]
