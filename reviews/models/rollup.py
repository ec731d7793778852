"""Aggregate tables behind the roll-up (docs/decisions/0006-reviews.md).

``ReportContribution`` is what one report adds to the totals (its measures, split by due date
where a due date matters). ``RollupCell`` holds, for every unit, the sums of the contributions of
every report in its subtree (itself included), split by the contributing unit's level and kind and
by whether the report is accepted. A change to a report applies the difference between its new
and old contribution to the cells of the unit and its ancestors, in the same transaction; a roll-up
page then reads a handful of cells, whatever the size of the subtree.
"""
from django.db import models


class ReportContribution(models.Model):
    report = models.ForeignKey("reviews.UnitReport", models.CASCADE, related_name="contributions")
    measure = models.CharField(max_length=60)  # "tasks", "done", "points", "open", "reports_expected", "ind:<code>", ...
    due = models.DateField()  # the due date of the task-periods counted; 31 Dec of the year otherwise
    # The dimensions the contribution was added under, so that exactly it can be taken back.
    level_id = models.IntegerField()
    kind_id = models.IntegerField()
    accepted = models.BooleanField()
    value = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "measure", "due"], name="reviews_contribution_unique")]


class RollupCell(models.Model):
    unit = models.ForeignKey("orgtree.OrgUnit", models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=60)
    due = models.DateField()
    level_id = models.IntegerField()  # of the contributing unit
    kind_id = models.IntegerField()
    accepted = models.BooleanField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "measure", "due", "level_id", "kind_id", "accepted"], name="reviews_rollup_cell_unique",
            )
        ]
        indexes = [models.Index(fields=["unit", "year"], name="reviews_rollup_unit_year")]
