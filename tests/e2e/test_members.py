"""The members page in the browser: the commune chair creates an account for a new cadre, reads the
one-time password once, and the cadre logs in with it and lands in the commune; no CSP violation."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_csp import violation
from tests.e2e.test_unit_pages import log_in

pytestmark = pytest.mark.browser


def test_a_chair_creates_an_account_and_the_new_cadre_logs_in_with_it(page, transactional_tree, screenshot):
    refused = []
    page.on("console", lambda message: refused.append(message.text) if violation(message) else None)
    log_in(page, "himlam.chair")
    expect(page).to_have_url(re.compile(r"/u/03127/$"))
    page.get_by_role("link", name="Quản lý thành viên").click()
    expect(page).to_have_url(re.compile(r"/u/03127/members/$"))

    new_account = page.get_by_role("region", name="Tạo tài khoản mới")
    new_account.get_by_label("Tên đăng nhập").fill("himlam.canbo.moi")
    new_account.get_by_label("Họ và tên").fill("Lò Thị Mai")
    new_account.get_by_label("Vai trò").select_option(label="Cán bộ")
    new_account.get_by_role("button", name="Tạo tài khoản và thêm").click()

    # Family name first, as Vietnamese names are written (not Django's "first last").
    expect(page.get_by_role("cell", name=re.compile("^Lò Thị Mai"))).to_be_visible()
    password = page.locator("code, kbd, .one-time-password").filter(has_text=re.compile(r"\S{10,}")).first
    expect(password).to_be_visible()
    secret = password.inner_text().strip()
    screenshot("members-one-time-password")
    page.reload()  # shown once: not on the page again
    expect(page.get_by_text(secret)).to_have_count(0)

    page.get_by_role("button", name="Đăng xuất").click()
    page.goto("/")
    page.get_by_label("Tên đăng nhập").fill("himlam.canbo.moi")
    page.get_by_label("Mật khẩu").fill(secret)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(r"/u/03127/$"))
    assert refused == []
