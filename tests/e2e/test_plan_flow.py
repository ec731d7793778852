"""Issue 3's browser check, end to end on the real seed plan: the province imports it through the
upload page and issues it; a district derives its own plan; the province amends its plan; the
district applies the change from its inbox. Screenshots of each step in test-artifacts/e2e/."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from plans.models import InboxItem, PlanDocument, Task
from tests.e2e.test_unit_pages import log_in

pytestmark = pytest.mark.browser

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seeds" / "000_bc0227de9fac2d55.txt"


def switch_user(page, username):
    page.context.clear_cookies()
    log_in(page, username)


def test_import_derive_amend_apply(page, transactional_tree, screenshot):
    # 1. The province imports the seed through the upload page, checks the preview, saves, issues.
    log_in(page, "db.chair")
    page.goto("/u/11/plans/import/")
    page.get_by_label("Tệp kế hoạch").set_input_files(str(SEED))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    expect(page.get_by_text("Lò Văn Mừng").first).to_be_visible()
    screenshot("plan-import-preview")
    page.get_by_role("button", name="Xác nhận và lưu thành bản dự thảo").click()
    expect(page).to_have_url(re.compile(r"/u/11/plans/[0-9a-f-]{36}/$"))
    province_plan = PlanDocument.objects.get(unit__code="11")
    assert province_plan.tasks.count() == 16
    page.get_by_role("button", name="Ban hành").click()
    expect(page.get_by_text("Đã ban hành").first).to_be_visible()
    screenshot("plan-issued")

    # 2. The district derives its own plan from it, with the default rules.
    switch_user(page, "dbp.cadre")
    page.goto(f"/u/094/plans/derive/?plan={province_plan.uuid}")
    screenshot("plan-derive-rules")
    page.get_by_role("button", name="Tạo kế hoạch").click()
    expect(page).to_have_url(re.compile(r"/u/094/plans/[0-9a-f-]{36}/$"))
    district_plan = PlanDocument.objects.get(unit__code="094", parent_plan=province_plan)
    # "các cấp" resolved to the district's own standing board.
    expect(page.get_by_text("Ban Thường trực Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ").first).to_be_visible()
    screenshot("plan-derived-district")
    first_task = district_plan.tasks.order_by("order").first()
    assert first_task.parent_task.document == province_plan

    # 3. The province amends task 1.1 in the editor and issues the amendment.
    switch_user(page, "db.chair")
    page.goto(f"/u/11/plans/{province_plan.uuid}/")
    page.get_by_role("link", name="Sửa đổi, bổ sung").click()
    origin = first_task.parent_task
    row = page.locator(f"#task-{origin.pk}")
    row.get_by_role("link", name=re.compile("^Sửa")).click()
    text = page.locator(f"#task-{origin.pk}").get_by_label("Nội dung nhiệm vụ")
    text.fill("Phối hợp với cơ quan truyền thông cùng cấp tuyên truyền Chỉ thị 18 và Kết luận 118")
    page.locator(f"#task-{origin.pk}").get_by_role("button", name="Ghi nhận sửa đổi").click()
    expect(page.get_by_text("Sửa đổi, chờ ban hành").first).to_be_visible()
    page.get_by_label("Nội dung sửa đổi, bổ sung").fill("Bổ sung Kết luận 118 vào nhiệm vụ tuyên truyền")
    screenshot("plan-amendment-pending")
    page.get_by_role("button", name="Ban hành sửa đổi").click()
    expect(page.get_by_text("Theo dõi thực hiện").first).to_be_visible()
    screenshot("plan-amendment-follow-up")
    assert PlanDocument.objects.get(pk=province_plan.pk).version == 2

    # 4. The district opens its inbox and applies the change to its own plan.
    switch_user(page, "dbp.cadre")
    page.goto("/u/094/plans/inbox/")
    page.get_by_role("link", name=re.compile("Sửa đổi, bổ sung kế hoạch")).first.click()
    expect(page.get_by_text("Kết luận 118").first).to_be_visible()
    screenshot("plan-inbox-changes")
    page.get_by_role("button", name="Áp dụng").first.click()
    expect(page.get_by_text("Đã áp dụng").first).to_be_visible()
    assert "Kết luận 118" in Task.objects.get(pk=first_task.pk).text
    item = InboxItem.objects.get(unit__code="094")
    assert item.state in (InboxItem.State.SEEN, InboxItem.State.ACTED)
    screenshot("plan-inbox-applied")
