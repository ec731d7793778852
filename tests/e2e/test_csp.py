"""The content security policy (no inline script or style) breaks nothing a browser loads: a walk
through the main pages, htmx swaps and the API docs with no CSP violation in the console (Chromium
writes "Refused to ..." or, newer, "Executing inline script violates the following Content Security
Policy directive ...": both name the Content Security Policy)."""
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.e2e.test_unit_pages import log_in

pytestmark = pytest.mark.browser


def violation(message) -> bool:
    return "Content Security Policy" in message.text or "Refused to" in message.text


def test_pages_log_no_csp_violation(page, transactional_tree):
    refused = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}") if violation(message) else None)
    year = date.today().year

    log_in(page, "db.cadre")
    expect(page).to_have_url(re.compile(r"/u/11/$"))
    # The header really carries the strict policy (a missing header would make this test pass empty).
    csp = page.request.get("/u/11/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp

    page.goto("/u/11/tree/")
    with page.expect_response(lambda r: "/u/11/tree/children/?node=094" in r.url):
        page.get_by_role("button", name="Đơn vị trực thuộc Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ").click()
    expect(page.get_by_role("link", name="Ủy ban MTTQ Việt Nam phường Him Lam")).to_be_visible()
    for path in ("/u/11/", "/u/11/plans/", "/u/11/plans/import/", "/u/11/plans/inbox/", f"/u/11/reviews/{year}/",
                 f"/u/11/reviews/{year}/dashboard/", "/u/11/inspections/plans/", f"/u/11/inspections/summary/{year}/",
                 "/api/docs/"):
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle", timeout=30_000)  # lazy htmx parts too; a loaded machine is slow
    expect(page.locator(".swagger-ui .info")).to_be_visible()  # the docs' start-up script ran

    # The admin (superusers), with django-mptt's draggable tree.
    page.goto("/u/11/")
    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, "root")
    for path in ("/admin/", "/admin/axes/accessattempt/", "/admin/orgtree/orgunit/"):
        assert page.goto(path).status == 200, path  # waits for "load": the admin loads nothing later
    expect(page.locator("#result_list")).to_contain_text("Ủy ban Trung ương MTTQ Việt Nam")
    # django-mptt indents the tree with style attributes: applied, since the admin allows them.
    deepest = page.locator("div[style*='text-indent']").last
    assert deepest.evaluate("element => getComputedStyle(element).textIndent") != "0px"
    assert refused == []

    # The control: an inline script is refused, and the refusal is what this test listens for.
    page.goto("/u/11/")
    with page.expect_console_message(violation):
        page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = true';
                                 document.head.appendChild(s); }""")
    assert page.evaluate("window.inlineRan") is None
