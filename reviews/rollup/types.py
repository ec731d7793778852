"""What a roll-up answers: the same measures for the unit's whole subtree, for each child's
subtree, by level and by kind of unit (member organizations)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Measures:
    # task-periods of the reports counted, by status
    tasks: int = 0
    done: int = 0
    in_progress: int = 0
    not_done: int = 0
    not_started: int = 0
    points: int = 0  # sum over task-periods of 100 (done) or the percent (in progress)
    overdue: int = 0  # task-periods past due (as of the roll-up's day) and not done
    # reporting rates: reports expected (every report opened for the year, waived ones excluded),
    # submitted (at least once), submitted on time (first submission by the due date), accepted
    reports_expected: int = 0
    reports_submitted: int = 0
    reports_on_time: int = 0
    reports_accepted: int = 0
    reports_waived: int = 0
    indicators: dict[str, int] = field(default_factory=dict)  # indicator code -> sum

    @property
    def completion(self) -> float | None:
        """Weighted completion in percent: every task-period of every unit weighs the same."""
        return round(self.points / self.tasks, 1) if self.tasks else None

    def rate(self, count: int) -> float | None:
        return round(100 * count / self.reports_expected, 1) if self.reports_expected else None

    @property
    def submitted_rate(self) -> float | None:
        return self.rate(self.reports_submitted)

    @property
    def on_time_rate(self) -> float | None:
        return self.rate(self.reports_on_time)

    @property
    def accepted_rate(self) -> float | None:
        return self.rate(self.reports_accepted)


@dataclass
class RollupRow:
    """One line of a breakdown: a child unit (``unit``), a level or a kind (``key``/``label``)."""

    key: str
    label: str
    measures: Measures
    unit: object | None = None  # the child OrgUnit, for drill-down
    label_en: str = ""  # the level's or kind's English name, when it has one


@dataclass
class Rollup:
    unit: object  # the OrgUnit
    year: int
    accepted_only: bool
    total: Measures  # the whole subtree, the unit itself included
    own: Measures  # the unit's own report only
    by_child: list[RollupRow]
    by_level: list[RollupRow]
    by_kind: list[RollupRow]
