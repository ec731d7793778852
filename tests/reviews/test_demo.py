"""The generated year's bulk writes say what the services would have said."""
from datetime import date

from django.contrib.contenttypes.models import ContentType

from mttq_platform.models import AuditLog
from plans.models import DocumentStatus, PlanDocument
from reviews.demo import generate_year, snapshots
from reviews.models import ReportStatus, UnitReport
from reviews.services.approval import snapshot
from tests.plans.factories import seed_like_plan

YEAR = 2025


def test_bulk_issue_and_snapshots_match_the_services(tree):
    seed_like_plan(tree["094"])  # a district: the whole province costs the suite seconds more
    summary = generate_year(tree["094"], YEAR, seed=7, today=date(2026, 1, 20))

    issued = PlanDocument.objects.filter(unit__in=UnitReport.objects.filter(year=YEAR).values("unit"),
                                         parent_plan__isnull=False)
    assert summary.plans_issued == issued.count() > 0
    assert not issued.exclude(status=DocumentStatus.ISSUED).exists()
    assert not issued.filter(issued_at__isnull=True).exists()
    # Issuing is audited, one update row per plan, before and after.
    entries = AuditLog.objects.filter(action="update", content_type=ContentType.objects.get_for_model(PlanDocument),
                                      object_id__in=[str(pk) for pk in issued.values_list("pk", flat=True)])
    assert entries.count() == summary.plans_issued
    assert entries.first().after["status"] == DocumentStatus.ISSUED

    accepted = list(UnitReport.objects.filter(year=YEAR, status=ReportStatus.ACCEPTED).select_related("unit"))
    assert accepted
    assert snapshots(accepted) == [snapshot(report) for report in accepted]
    # What was written is that snapshot.
    for report in accepted:
        assert report.versions.get().snapshot == snapshot(report)


def test_opening_reports_costs_no_query_per_report(tree, django_assert_max_num_queries):
    """No query per report (each audit row names its report by its unit, which rides along)."""
    from orgtree.models import OrgUnit
    from reviews.services.reports import open_reports
    from tests.plans.factories import seed_like_plan

    for code in ("094", "095", "03124", "03127", "03151", "11"):
        seed_like_plan(tree[code], number=f"16-{code}")
    with django_assert_max_num_queries(12):
        open_reports(OrgUnit.objects.filter(code__in=["094", "095"]), 2025)
    with django_assert_max_num_queries(12):
        open_reports(OrgUnit.objects.filter(code__in=["03124", "03127", "03151", "11"]), 2025)
