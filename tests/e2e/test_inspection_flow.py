"""Issue 5's browser check, on a phone: an inspector of the team fills a checklist item and attaches
evidence; a second inspector's earlier save of the same item makes the first one's save a clear
refusal showing both values. Set-up: the branch's issued inspection plan and its team
(make_inspection_setup), Him Lam's checklist generated; every step after it goes through the
pages, reached by links. Screenshots in test-artifacts/e2e/inspection-*.png."""
import re

import pytest
from playwright.sync_api import expect

from inspections.models import ChecklistEvidence, ChecklistItem, ChecklistResult
from inspections.services.checklists import generate_checklist
from tests.e2e.conftest import phone_screenshot
from tests.e2e.test_unit_pages import log_in
from tests.inspections.factories import make_inspection_setup
from tests.reviews.report_factories import PDF

pytestmark = pytest.mark.browser

HIMLAM = "Ủy ban MTTQ Việt Nam phường Him Lam"
NOTE = "Đã có kế hoạch nhưng chưa tổ chức hội nghị phản biện; biên bản kèm theo."


@pytest.fixture
def himlam_inspection(transactional_tree, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # evidence goes to a fresh folder
    setup = make_inspection_setup(transactional_tree, issued=True)
    inspection = setup.inspections["03127"]
    generate_checklist(inspection, user=transactional_tree.user("db.cadre"))
    return inspection


def screen_at(page, card, name):
    """What the phone's screen shows with ``card`` in it (a full checklist is many screens long)."""
    card.scroll_into_view_if_needed()
    phone_screenshot(page, name, full_page=False)


def himlam_row_on_the_list(page, username):
    """Log in on the phone and go as a user does to the inspections list (the unit navigation's
    inspections entry); answers Him Lam's row among the inspections of the user's team."""
    log_in(page, username)
    expect(page).to_have_url(re.compile(r"/u/[\w-]+/$"))
    page.get_by_role("navigation", name="Trang của đơn vị").get_by_role("link", name="Kiểm tra", exact=True).click()
    expect(page).to_have_url(re.compile(r"/inspections/plans/$"))
    expect(page.get_by_role("heading", name="Cuộc kiểm tra tôi tham gia đoàn")).to_be_visible()
    return page.locator("ul.inspections li").filter(has_text=HIMLAM)


def test_inspector_fills_an_item_and_attaches_evidence_on_a_phone(phone, himlam_inspection):
    item = ChecklistItem.objects.filter(inspection=himlam_inspection).order_by("order", "pk").first()
    inspector = phone()

    # 1. The liaison of the Farmers' Union, on the team, finds the inspection from the unit's pages.
    row = himlam_row_on_the_list(inspector, "db.hnd.liaison")
    expect(row).to_have_count(1)
    phone_screenshot(inspector, "inspection-phone-list")
    row.get_by_role("link", name="Danh mục kiểm tra").click()
    expect(inspector).to_have_url(re.compile(rf"/u/11/inspections/{himlam_inspection.uuid}/checklist/$"))
    expect(inspector.get_by_role("heading", level=1)).to_have_text("Danh mục kiểm tra")
    card = inspector.locator(f"#item-{item.pk}")
    expect(card).to_contain_text(item.text)
    phone_screenshot(inspector, "inspection-phone-checklist")

    # 2. One item: partly compliant, with a note; saved in place by htmx.
    card.get_by_label("Đạt một phần", exact=True).check()
    card.get_by_label("Ghi chú của đoàn").fill(NOTE)
    screen_at(inspector, card, "inspection-phone-item-filled")
    card.get_by_role("button", name="Lưu").click()
    card = inspector.locator(f"#item-{item.pk}")  # the card swapped in
    expect(card.get_by_role("status")).to_have_text("Đã lưu")
    expect(card.get_by_label("Đạt một phần", exact=True)).to_be_checked()
    expect(card.get_by_label("Ghi chú của đoàn")).to_have_value(NOTE)
    screen_at(inspector, card, "inspection-phone-item-saved")

    # 3. Evidence: a small PDF of the minutes, uploaded from the item's card.
    card.get_by_text("Thêm minh chứng").click()
    card.get_by_label("Tệp minh chứng (PDF, ảnh, Word, Excel)").set_input_files(
        {"name": "bien-ban-kiem-tra.pdf", "mimeType": "application/pdf", "buffer": PDF})
    card.get_by_role("button", name="Tải lên").click()
    card = inspector.locator(f"#item-{item.pk}")
    expect(card.get_by_role("list", name="Tài liệu minh chứng của đoàn").get_by_role("link")).to_have_text("bien-ban-kiem-tra.pdf")
    screen_at(inspector, card, "inspection-phone-evidence")

    # 4. Reloaded, the page still shows both: they are saved, not only drawn.
    inspector.reload()
    card = inspector.locator(f"#item-{item.pk}")
    expect(card.get_by_label("Đạt một phần", exact=True)).to_be_checked()
    expect(card.get_by_role("link", name="bien-ban-kiem-tra.pdf")).to_be_visible()

    item.refresh_from_db()
    assert (item.result, item.note, item.updated_by.username) == (ChecklistResult.PARTLY, NOTE, "db.hnd.liaison")
    evidence = ChecklistEvidence.objects.get(item=item)
    assert (evidence.original_name, evidence.content_type) == ("bien-ban-kiem-tra.pdf", "application/pdf")
    with evidence.file.open("rb") as stored:
        assert stored.read() == PDF


def test_a_stale_save_on_a_phone_shows_both_values(phone, himlam_inspection):
    item = ChecklistItem.objects.filter(inspection=himlam_inspection).order_by("order", "pk").first()
    first, second = phone(), phone()
    for page, username in ((first, "db.hnd.liaison"), (second, "db.cadre")):
        himlam_row_on_the_list(page, username).get_by_role("link", name="Danh mục kiểm tra").click()
        expect(page.locator(f"#item-{item.pk}")).to_contain_text(item.text)

    # The leader saves first ...
    card = second.locator(f"#item-{item.pk}")
    card.get_by_label("Không đạt", exact=True).check()
    card.get_by_label("Ghi chú của đoàn").fill("Chưa ban hành kế hoạch.")
    card.get_by_role("button", name="Lưu").click()
    expect(second.locator(f"#item-{item.pk}").get_by_role("status")).to_have_text("Đã lưu")

    # ... then the liaison, whose form was read before: refused, what they typed kept, the saved values shown.
    card = first.locator(f"#item-{item.pk}")
    card.get_by_label("Đạt một phần", exact=True).check()
    card.get_by_label("Ghi chú của đoàn").fill(NOTE)
    card.get_by_role("button", name="Lưu").click()
    card = first.locator(f"#item-{item.pk}")
    refusal = card.get_by_role("alert").filter(has_text="Mục này đã được db.cadre sửa")
    expect(refusal).to_contain_text("nội dung của bạn CHƯA được lưu")
    expect(refusal).to_contain_text("your entry was NOT saved")
    saved_now = card.get_by_role("alert").filter(has_text="Giá trị đang lưu (do người khác vừa sửa):")
    expect(saved_now).to_contain_text("Không đạt")
    expect(saved_now).to_contain_text("Chưa ban hành kế hoạch.")
    expect(card.get_by_label("Đạt một phần", exact=True)).to_be_checked()
    expect(card.get_by_label("Ghi chú của đoàn")).to_have_value(NOTE)
    screen_at(first, card, "inspection-phone-stale")

    item.refresh_from_db()
    assert (item.result, item.note, item.updated_by.username) == (ChecklistResult.NOT_COMPLIANT, "Chưa ban hành kế hoạch.", "db.cadre")
