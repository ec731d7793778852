"""The roll-up: a generated Điện Biên year equals a naive recomputation at every node, reporting
rates are right, incremental differences equal a full rebuild, and a roll-up costs the same
queries for a district, the province and the root."""
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgtree.models import OrgUnit
from reviews.demo import generate_year
from reviews.models import (
    Indicator, IndicatorValue, ProgressStatus, ReportContribution, ReportStatus, RollupCell, TaskProgress, UnitReport,
)
from reviews.rollup.engine import apply_report_changes
from reviews.rollup.reading import rollup, rollup_years
from reviews.rollup.rebuild import NaiveRollup, check, rebuild
from reviews.signals import report_data_changed
from tests.plans.factories import seed_like_plan

YEAR = 2025
TODAY = date(2026, 1, 20)


@pytest.fixture
def year(tree):
    seed_like_plan(tree["11"])
    summary = generate_year(tree["11"], YEAR, seed=7, today=TODAY)
    return summary


def cells():
    return sorted(RollupCell.objects.exclude(value=0).values_list(
        "unit_id", "year", "measure", "due", "level_id", "kind_id", "accepted", "value"))


def test_generated_year_equals_naive_recomputation_at_every_node(tree, year):
    province = tree["11"]
    units = OrgUnit.objects.within(province).filter(kind__category__in=("front_committee", "member_organization"))
    reports = UnitReport.objects.filter(year=YEAR)
    # Every committee and member organization of the province reports on its derived plan.
    assert year.reports_opened == units.count() == reports.count()
    assert not reports.filter(plan__isnull=True).exists()
    assert not reports.exclude(unit=province).filter(plan__parent_plan__isnull=True).exists()
    # The generated year has every situation the roll-up must count.
    statuses = set(reports.values_list("status", flat=True))
    assert {ReportStatus.ACCEPTED, ReportStatus.SUBMITTED, ReportStatus.DRAFT} <= statuses
    assert any(not r.submitted_on_time for r in reports.filter(first_submitted_at__isnull=False))
    assert TaskProgress.objects.filter(report__year=YEAR, status=ProgressStatus.DONE).exists()
    assert TaskProgress.objects.filter(report__year=YEAR, status=ProgressStatus.IN_PROGRESS).exists()
    # Accepted bottom-up only, each with its readable accepted version, as the approval service does.
    for report in reports.filter(status=ReportStatus.ACCEPTED):
        assert set(UnitReport.objects.filter(unit__parent=report.unit, year=YEAR).values_list("status", flat=True)) <= {
            ReportStatus.ACCEPTED, ReportStatus.WAIVED}
        assert report.versions.get().snapshot["progress"]

    assert check(province, YEAR, today=TODAY) == []
    assert check(province, YEAR, today=TODAY, accepted_only=True) == []
    assert check(tree["TW"], YEAR, today=TODAY) == []


def test_reporting_rates_are_counted_from_the_reports(tree, year):
    total = rollup(tree["11"], YEAR, today=TODAY).total
    reports = list(UnitReport.objects.filter(year=YEAR))
    expected = [r for r in reports if r.status != ReportStatus.WAIVED]
    assert total.reports_expected == len(expected)
    assert total.reports_waived == len(reports) - len(expected)
    assert total.reports_submitted == sum(r.first_submitted_at is not None for r in expected)
    assert total.reports_on_time == sum(r.submitted_on_time for r in expected)
    assert total.reports_accepted == sum(r.status == ReportStatus.ACCEPTED for r in reports)
    assert 0 < total.reports_on_time < total.reports_submitted < total.reports_expected
    assert total.submitted_rate == round(100 * total.reports_submitted / total.reports_expected, 1)
    # Indicators add up over the subtree.
    for code in ("gs-doan", "kn-de-xuat"):
        assert total.indicators.get(code, 0) == sum(
            IndicatorValue.objects.filter(report__year=YEAR, indicator__code=code)
            .exclude(report__status=ReportStatus.WAIVED).values_list("value", flat=True))


def test_breakdowns_add_up_to_the_total(tree, year):
    result = rollup(tree["11"], YEAR, today=TODAY)
    children = {row.key for row in result.by_child}
    assert {"094", "095", "11-HND"} <= children
    assert all(row.unit is not None and row.unit.parent_id == tree["11"].pk for row in result.by_child)
    for rows in (result.by_level, result.by_kind):
        assert sum(row.measures.tasks for row in rows) == result.total.tasks
        assert sum(row.measures.points for row in rows) == result.total.points
    assert sum(row.measures.tasks for row in result.by_child) + result.own.tasks == result.total.tasks
    assert {row.key for row in result.by_level} == {"province", "district", "commune"}
    assert result.own.reports_expected + result.own.reports_waived == 1
    assert result.total.completion == round(result.total.points / result.total.tasks, 1)


def test_overdue_is_derived_from_the_day_asked(tree, year):
    before = rollup(tree["11"], YEAR, today=date(YEAR, 1, 1)).total
    after = rollup(tree["11"], YEAR, today=TODAY).total
    assert before.overdue == 0
    assert after.overdue == after.tasks - after.done > 0


def test_a_write_applies_its_difference_and_equals_a_full_rebuild(tree, year):
    commune = tree["03127"]
    report = UnitReport.objects.get(unit=commune, year=YEAR)
    report.status = ReportStatus.DRAFT  # as a reopening leaves it, so that its rows change
    report.save()
    # One row not done yet, whatever the generated year gave this commune.
    row = report.progress.order_by("pk").first()
    row.status, row.percent = ProgressStatus.NOT_STARTED, None
    row.save()
    report_data_changed.send(UnitReport, report_ids=[report.pk])
    before = rollup(tree["11"], YEAR, today=TODAY).total
    row.status, row.percent = ProgressStatus.DONE, 100
    row.save()
    code = Indicator.objects.order_by("order").first().code
    IndicatorValue.objects.update_or_create(report=report, indicator=Indicator.objects.get(code=code), defaults={"value": 1000})
    report_data_changed.send(UnitReport, report_ids=[report.pk])

    after = rollup(tree["11"], YEAR, today=TODAY).total
    assert after.done == before.done + 1
    assert after.tasks == before.tasks
    assert after.indicators[code] > 1000
    assert rollup(tree["TW"], YEAR, today=TODAY).total.done == after.done
    incremental = cells()
    rebuild(YEAR)
    assert cells() == incremental
    assert check(tree["11"], YEAR, today=TODAY) == []


def test_waiving_and_accepting_move_the_rates(tree, year):
    report = UnitReport.objects.filter(year=YEAR, status=ReportStatus.DRAFT).select_related("unit").first()
    before = rollup(tree["11"], YEAR, today=TODAY).total
    report.status = ReportStatus.WAIVED
    report.save()
    report_data_changed.send(UnitReport, report_ids=[report.pk])
    waived = rollup(tree["11"], YEAR, today=TODAY).total
    assert waived.reports_expected == before.reports_expected - 1
    assert waived.reports_waived == before.reports_waived + 1
    assert waived.tasks == before.tasks - report.progress.count()
    assert check(tree["11"], YEAR, today=TODAY) == []


def test_sending_twice_changes_nothing(tree, year):
    before = cells()
    ids = list(UnitReport.objects.values_list("pk", flat=True))
    apply_report_changes(ids)
    apply_report_changes(ids)
    assert cells() == before
    assert ReportContribution.objects.filter(report_id__in=ids).exists()


def test_a_roll_up_costs_the_same_queries_for_a_district_the_province_and_the_root(tree, year):
    counts = {}
    for code in ("03127", "094", "11", "TW"):
        unit = tree[code]
        with CaptureQueriesContext(connection) as queries:
            rollup(unit, YEAR, today=TODAY)
        counts[code] = len(queries)
    assert counts == {"03127": 4, "094": 4, "11": 4, "TW": 4}
    province = tree["11"]
    with CaptureQueriesContext(connection) as queries:
        result = rollup_years(province, [YEAR - 1, YEAR], today=TODAY)
    assert len(queries) == 4
    assert result[YEAR].total == rollup(tree["11"], YEAR, today=TODAY).total
    assert result[YEAR - 1].total.tasks == 0


def test_bulk_changes_cost_two_queries_whatever_their_number(tree, year):
    ids = list(UnitReport.objects.values_list("pk", flat=True))
    assert len(ids) > 10
    for some in (ids[:1], ids):
        with CaptureQueriesContext(connection) as queries:
            apply_report_changes(some)
        assert len(queries) == 2


@pytest.fixture
def eager_tasks():
    from mttq_platform.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_tree_move_is_repaired_by_the_rebuild_job(tree, year, django_capture_on_commit_callbacks, eager_tasks):
    assert check(tree["11"], YEAR, today=TODAY) == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tree["03151"].move_to(tree["094"], "last-child")
    assert len(callbacks) == 1  # one rebuild: the moved subtree has reports of one year
    assert check(tree["11"], YEAR, today=TODAY) == []
    assert "03151" in {row.key for row in rollup(tree["094"], YEAR, today=TODAY).by_child}
    assert rollup(tree["095"], YEAR, today=TODAY).total.tasks == rollup(tree["095"], YEAR, today=TODAY).own.tasks


def test_generating_again_changes_nothing_and_the_command_checks(tree, year, capsys):
    before = cells()
    again = generate_year(tree["11"], YEAR, seed=7, today=TODAY)
    assert again.reports_opened == 0 and again.plans_derived == 0
    assert cells() == before
    RollupCell.objects.filter(unit=tree["11"]).update(value=0)  # damage, then repair
    assert check(tree["11"], YEAR, today=TODAY) != []
    call_command("rebuild_rollup", "--year", str(YEAR), "--check")
    assert "0 differences" in capsys.readouterr().out
    assert check(tree["11"], YEAR, today=TODAY) == []


def test_naive_recomputation_reads_rows_not_cells(tree, year):
    RollupCell.objects.all().delete()
    naive = NaiveRollup(tree["11"], YEAR, today=TODAY)
    assert naive.measures(tree["11"]).tasks == TaskProgress.objects.exclude(report__status=ReportStatus.WAIVED).count()


def test_a_deleted_report_takes_its_contribution_out(tree, year):
    commune = tree["03124"]
    before = rollup(tree["094"], YEAR, today=TODAY)
    own = next(row.measures for row in before.by_child if row.key == "03124")
    assert own.tasks > 0
    UnitReport.objects.filter(unit=commune, year=YEAR).delete()
    after = rollup(tree["094"], YEAR, today=TODAY)
    assert after.total.tasks == before.total.tasks - own.tasks
    assert after.total.reports_expected + after.total.reports_waived == before.total.reports_expected + before.total.reports_waived - 1
    assert check(tree["11"], YEAR, today=TODAY) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_neither_deadlock_nor_lose_a_difference(transactional_tree):
    """Threads change progress of different reports at once, each sending several reports' ids in
    its own order: every change reaches the shared cells of the province and the root."""
    import random
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import transaction

    seed_like_plan(transactional_tree["11"])
    generate_year(transactional_tree["11"], YEAR, seed=11, today=TODAY)
    reports = list(UnitReport.objects.filter(year=YEAR).exclude(status=ReportStatus.WAIVED).values_list("pk", flat=True))
    threads = 6
    barrier = threading.Barrier(threads)

    def job(i):
        rng = random.Random(i)
        try:
            barrier.wait()
            for _ in range(8):
                mine = reports[i::threads][rng.randrange(len(reports[i::threads]))]
                with transaction.atomic():
                    for row in TaskProgress.objects.filter(report_id=mine).order_by("pk"):
                        row.status = rng.choice(list(ProgressStatus.values))
                        row.percent = 50 if row.status == ProgressStatus.IN_PROGRESS else None
                        row.save()
                    others = rng.sample(reports, 3)
                    report_data_changed.send(UnitReport, report_ids=[mine, *others])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(job, i) for i in range(threads)]:
            future.result()
    assert check(transactional_tree["TW"], YEAR, today=TODAY) == []


@pytest.mark.worker
def test_a_worker_rebuilds_a_year(transactional_tree, celery_worker):
    from reviews.tasks import rebuild_rollup

    seed_like_plan(transactional_tree["11"])
    generate_year(transactional_tree["11"], YEAR, seed=5, today=TODAY)
    RollupCell.objects.filter(unit=transactional_tree["094"]).delete()  # damaged
    assert check(transactional_tree["11"], YEAR, today=TODAY) != []
    assert rebuild_rollup.delay(YEAR).get(timeout=60) > 0
    assert check(transactional_tree["11"], YEAR, today=TODAY) == []
