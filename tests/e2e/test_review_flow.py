"""Issue 4's browser check: a commune cadre reports a task, the district accepts, the province sees
the chart change. Set-up is the real derivation of the province's seed-shaped plan down the tree
and the 2025 reports of Điện Biên Phủ's branch opened; every step after it goes through the pages.
Screenshots of each step in test-artifacts/e2e/review-*.png."""
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orgtree.models import OrgUnit
from plans.models import DerivationJob, DocumentStatus, PlanDocument
from plans.services.derivation import run_subtree_job
from plans.services.guidance import issue
from reviews.models import ProgressStatus, ReportStatus, UnitReport
from reviews.services.reports import open_reports
from tests.e2e.test_plan_flow import switch_user
from tests.e2e.test_unit_pages import log_in
from tests.plans.factories import seed_like_plan

pytestmark = pytest.mark.browser

YEAR = 2025
DISTRICT_NAME = "Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ"


@pytest.fixture
def district_branch_reports(transactional_tree):
    """The province's plan derived for its subtree by the real derivation, the drafts issued, and
    the 2025 reports of the district 094 and its communes opened."""
    province_plan = seed_like_plan(transactional_tree["11"])
    job = run_subtree_job(DerivationJob.objects.create(source_plan=province_plan, root_unit=transactional_tree["11"]).pk)
    assert job.status == DerivationJob.Status.DONE, job.error
    for draft in PlanDocument.objects.filter(status=DocumentStatus.DRAFT, parent_plan__isnull=False):
        issue(draft)
    opened = open_reports(OrgUnit.objects.within(transactional_tree["094"]), YEAR)
    assert {report.unit.code for report in opened} == {"094", "03124", "03127"}
    return {report.unit.code: report for report in opened}


def open_from_nav(page, link, url_part):
    """Follow a link of the unit navigation (this year's page), then the year navigation back to
    YEAR: users reach the review pages by links, not by typed URLs."""
    page.get_by_role("navigation", name="Trang của đơn vị").get_by_role("link", name=link, exact=True).click()
    shown = timezone.localdate().year
    expect(page).to_have_url(re.compile(rf"/reviews/{shown}/{url_part}$"))
    while shown > YEAR:
        shown -= 1
        page.get_by_role("link", name=f"← {shown}", exact=True).click()
        expect(page).to_have_url(re.compile(rf"/reviews/{shown}/{url_part}$"))


def completion_of_district(page):
    """(task-periods done, completion %) of 094 in the province dashboard's completion-by-child
    table, the numbers of the bar chart above it."""
    row = page.locator("table.completion-by-child tbody tr").filter(
        has=page.get_by_role("link", name=DISTRICT_NAME, exact=True))
    expect(row).to_have_count(1)
    cells = row.locator("td")
    return cells.nth(1).inner_text().strip(), cells.nth(3).inner_text().strip()


def test_commune_reports_district_accepts_province_sees_the_chart_change(page, district_branch_reports, screenshot):
    himlam = district_branch_reports["03127"]
    first_row = himlam.progress.order_by("due", "task__order", "pk").first()

    # 0. The province's dashboard before the commune reports: nothing done under 094 yet.
    log_in(page, "db.chair")
    expect(page).to_have_url(re.compile(r"/u/11/$"))
    open_from_nav(page, "Tổng hợp", "dashboard/")
    expect(page.locator("#chart-completion-caption")).to_be_visible()
    done_before, completion_before = completion_of_district(page)
    assert done_before == "0"
    screenshot("review-province-dashboard-before")

    # 1. Him Lam's cadre reaches the year's report from the unit home, records one task-period as
    #    done with a narrative through the htmx row form, fills an indicator and submits.
    switch_user(page, "himlam.cadre")
    expect(page).to_have_url(re.compile(r"/u/03127/$"))
    open_from_nav(page, "Báo cáo năm", "")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Báo cáo năm {YEAR}")
    screenshot("review-commune-report-opened")
    row = page.locator(f"#progress-{first_row.pk}")
    row.get_by_label("Tình trạng").select_option(ProgressStatus.DONE.value)
    row.get_by_label("Kết quả thực hiện").fill("Đã tổ chức hội nghị quán triệt Chỉ thị 18 cho 45 cán bộ.")
    with page.expect_response(lambda r: f"/progress/{first_row.pk}/" in r.url and r.request.method == "POST") as saved:
        row.get_by_role("button", name="Lưu").click()
    assert saved.value.status == 200
    row = page.locator(f"#progress-{first_row.pk}")  # the row swapped in by htmx
    expect(row.get_by_role("status")).to_have_text("Đã lưu")
    expect(row.locator(".badge.status-done")).to_be_visible()
    screenshot("review-commune-row-saved")

    page.get_by_label("Số lớp tập huấn, bồi dưỡng nghiệp vụ giám sát, phản biện xã hội").fill("3")
    page.get_by_role("button", name="Lưu các chỉ tiêu").click()
    expect(page.get_by_label("Số lớp tập huấn, bồi dưỡng nghiệp vụ giám sát, phản biện xã hội")).to_have_value("3")
    page.get_by_role("button", name="Gửi báo cáo", exact=True).click()
    expect(page.get_by_text("Báo cáo đã gửi, đang chờ cấp trên xem xét; không sửa được.")).to_be_visible()
    screenshot("review-commune-submitted")

    # 2. The district's cadre opens its children's reports and accepts Him Lam's.
    switch_user(page, "dbp.cadre")
    expect(page).to_have_url(re.compile(r"/u/094/$"))
    open_from_nav(page, "Duyệt báo cáo cấp dưới", "children/")
    child = page.locator("#child-03127")
    expect(child.locator(".badge.report-submitted")).to_be_visible()
    screenshot("review-district-children-before")
    child.get_by_role("button", name="Chấp nhận").click()
    expect(page.locator("#child-03127 .badge.report-accepted")).to_be_visible()
    screenshot("review-district-accepted")

    # 3. The province's chair sees 094's completion change on the dashboard.
    switch_user(page, "db.chair")
    expect(page).to_have_url(re.compile(r"/u/11/$"))
    open_from_nav(page, "Tổng hợp", "dashboard/")
    expect(page.locator("#chart-completion-caption")).to_be_visible()
    done_after, completion_after = completion_of_district(page)
    assert done_after == "1"
    assert completion_after != completion_before
    # The SVG's bar for 094 says the same number as the table.
    bar = page.locator("figure[aria-labelledby='chart-completion-caption'] svg g title").filter(has_text="Điện Biên Phủ")
    expect(bar).to_have_text(f"thành phố Điện Biên Phủ: {completion_after}%")
    screenshot("review-province-dashboard-after")

    himlam = UnitReport.objects.get(pk=himlam.pk)
    assert himlam.status == ReportStatus.ACCEPTED
    assert himlam.indicator_values.get(indicator__code="th-lop").value == 3
