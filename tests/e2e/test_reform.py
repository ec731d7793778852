"""The 2025 reform in the browser: after `reform_2025` on the real Điện Biên tree, a province cadre
finds the 45 new communes first in the tree and the ended districts after them, marked; an ended
commune leads to the ward that took over from it, and the ward says what it was formed from."""
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from inspections import reference_data as inspections_reference_data
from orgtree import reference_data
from orgtree.models import Membership, OrgUnit, Role
from reviews import reference_data as reviews_reference_data
from tests.conftest import PASSWORD
from tests.e2e.test_unit_pages import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def reformed_dien_bien(transactional_db):
    # Transactional tests truncate every table, the migrations' reference rows included.
    reference_data.seed()
    reviews_reference_data.seed()
    inspections_reference_data.seed()
    call_command("import_units", "--province", "11", "--code-set", "legacy", stdout=StringIO())
    call_command("reform_2025", "--province", "11", stdout=StringIO())
    cadre = get_user_model().objects.create_user("db.cadre", password=PASSWORD)
    Membership.objects.create(user=cadre, unit=OrgUnit.objects.get(code="11"), role=Role.objects.get(code="cadre"))
    return cadre


def test_after_the_reform_the_tree_shows_new_communes_first_and_ended_units_marked(page, reformed_dien_bien, screenshot):
    log_in(page, "db.cadre")
    expect(page).to_have_url(re.compile(r"/u/11/$"))
    page.get_by_role("link", name="Cây tổ chức").first.click()
    expect(page.locator("li.tree-node-ended").first).to_be_visible()
    items = page.locator("li.tree-node")
    classes = [items.nth(i).get_attribute("class") for i in range(items.count())]
    ended = ["tree-node-ended" in value for value in classes]
    # Active children (the 45 new communes and the province's organizations) first, then the ended.
    assert ended.count(False) == 45 + 5 and ended.count(True) == 10
    assert ended == sorted(ended)
    district = page.locator("li.tree-node-ended").filter(has_text="thành phố Điện Biên Phủ")
    expect(district).to_contain_text("Đã ngừng hoạt động (hoạt động đến 30/06/2025)")
    screenshot("reform-province-tree")

    # Him Lam (legacy 03127) stopped; the ward that took over from it reuses the code, as 03127-2025.
    page.goto("/u/03127/")
    expect(page.get_by_role("status")).to_contain_text("Đã ngừng hoạt động (hoạt động đến 30/06/2025)")
    page.get_by_role("status").get_by_role("link", name=re.compile("phường Điện Biên Phủ")).click()
    expect(page).to_have_url(re.compile(r"/u/03127-2025/$"))
    expect(page.get_by_text("Hình thành từ:")).to_be_visible()
    expect(page.get_by_role("link", name="Ủy ban MTTQ Việt Nam phường Him Lam")).to_be_visible()
    screenshot("reform-new-ward-home")
