"""The foundation's browser check: a commune cadre logs in and sees their unit, cannot open a
sibling commune, and a province user expands the tree lazily with htmx."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def log_in(page, username, screenshot=None):
    page.goto("/")  # anonymous: sent to the login form
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    if screenshot:
        screenshot("login")
    page.get_by_role("button", name="Đăng nhập").click()


def test_commune_cadre_sees_own_unit_and_not_a_sibling(page, transactional_tree, screenshot):
    log_in(page, "himlam.cadre", screenshot)
    expect(page).to_have_url(re.compile(r"/u/03127/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ủy ban MTTQ Việt Nam phường Him Lam")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    # The vendored assets are served: htmx is loaded and the stylesheet applies.
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"
    screenshot("commune-cadre-unit-home")

    response = page.goto("/u/03124/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang hoặc bạn không có quyền xem")
    expect(page.get_by_text("Noong Bua")).to_have_count(0)
    screenshot("commune-cadre-sibling-404")


def test_province_user_expands_the_tree_with_htmx(page, transactional_tree, screenshot):
    log_in(page, "db.cadre")
    expect(page).to_have_url(re.compile(r"/u/11/$"))
    page.get_by_role("link", name="Cây tổ chức").first.click()
    expect(page).to_have_url(re.compile(r"/u/11/tree/$"))
    district = page.get_by_role("link", name="Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ")
    expect(district).to_be_visible()
    commune = page.get_by_role("link", name="Ủy ban MTTQ Việt Nam phường Him Lam")
    expect(commune).to_have_count(0)  # not loaded before the district is expanded

    toggle = page.get_by_role("button", name="Đơn vị trực thuộc Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    with page.expect_response(lambda r: "/u/11/tree/children/?node=094" in r.url) as loaded:
        toggle.click()
    assert loaded.value.status == 200
    expect(commune).to_be_visible()
    expect(page.get_by_role("link", name="Ủy ban MTTQ Việt Nam phường Noong Bua")).to_be_visible()
    expect(page.get_by_role("link", name="Ủy ban MTTQ Việt Nam phường Sông Đà")).to_have_count(0)  # other district
    expect(toggle).to_have_attribute("aria-expanded", "true")
    screenshot("province-user-tree-expanded")

    toggle.click()  # collapses without another request
    expect(commune).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_chair_opens_the_audit_log_and_switches_language(page, transactional_tree, screenshot):
    log_in(page, "himlam.chair")
    page.get_by_role("link", name="Nhật ký thay đổi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nhật ký thay đổi")
    # The commune's creation and its two memberships.
    expect(page.locator("table.audit tbody tr")).to_have_count(3)
    screenshot("chair-audit-log")
    page.get_by_role("link", name="Trang đơn vị").click()
    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Subordinate units")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    screenshot("unit-home-english-phone")
    page.get_by_role("button", name="VI").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Đơn vị trực thuộc"))).to_be_visible()


def test_on_a_phone_the_unit_navigation_is_one_line_showing_the_current_page(phone, transactional_tree):
    from tests.e2e.conftest import phone_screenshot

    page = phone()
    log_in(page, "db.chair")
    expect(page).to_have_url(re.compile(r"/u/11/$"))
    # The last link of the bar, far off a 390 px screen when the bar is one line.
    page.get_by_role("navigation", name="Trang của đơn vị").get_by_role("link", name="Kiểm tra").click()
    expect(page).to_have_url(re.compile(r"/u/11/inspections/"))
    nav = page.get_by_role("navigation", name="Trang của đơn vị")
    box = nav.evaluate("""nav => ({height: nav.getBoundingClientRect().height, scrolls: nav.scrollWidth > nav.clientWidth,
        lineHeight: parseFloat(getComputedStyle(nav.querySelector('a')).lineHeight) || 20})""")
    assert box["scrolls"] and box["height"] < 2.5 * box["lineHeight"], box
    current = nav.locator("[aria-current='page']")
    expect(current).to_have_text("Kiểm tra")
    expect(current).to_be_in_viewport()
    # The page itself does not scroll sideways; only the bar does.
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    phone_screenshot(page, "phone-unit-navigation", full_page=False)
