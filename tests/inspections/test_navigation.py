"""A cadre reaches the inspection pages by links (the unit navigation, then the links between the
inspection pages), and the pages speak English to an English browser (locale/en)."""
import lxml.html
import pytest
from django.urls import reverse
from django.utils import timezone

from inspections.services.checklists import generate_checklist
from tests.inspections.factories import make_inspection_setup

pytestmark = pytest.mark.django_db


def links(response, xpath="//a"):
    return {a.text_content().strip(): a.get("href") for a in lxml.html.fromstring(response.content).xpath(xpath)}


def test_the_unit_navigation_leads_to_the_inspection_pages(client, tree):
    client.force_login(tree.user("db.cadre"))
    home = client.get(reverse("unit-home", kwargs={"code": "11"}))
    nav = links(home, "//nav[contains(@class, 'unit-nav')]//a")
    plans_url = reverse("inspection-plan-list", kwargs={"code": "11"})
    assert nav["Kiểm tra"] == plans_url

    plans = client.get(plans_url)
    assert plans.status_code == 200
    subnav = links(plans, "//nav[contains(@class, 'inspection-subnav')]//a")
    year = timezone.localdate().year
    assert subnav == {
        "Kế hoạch kiểm tra": plans_url,
        "Tổng hợp kết quả kiểm tra": reverse("inspection-summary", kwargs={"code": "11", "period": str(year)}),
        "Kiến nghị sau kiểm tra": reverse("recommendation-list", kwargs={"code": "11"}),
    }
    for url in subnav.values():
        response = client.get(url)
        assert response.status_code == 200, url
        # Every inspection page marks the navigation's inspections entry as the current one.
        current = lxml.html.fromstring(response.content).xpath("//nav[contains(@class, 'unit-nav')]//a[@aria-current='page']")
        assert [a.text_content().strip() for a in current] == ["Kiểm tra"], url


def test_team_members_link_goes_under_the_inspecting_units_code(client, tree):
    """The liaison's own unit is the Farmers' Union (11-HND); the checklist of an inspection of
    their team lives under the inspecting unit 11 (not 11-HND, where it is a 404)."""
    setup = make_inspection_setup(tree, issued=True)
    client.force_login(tree.user("db.hnd.liaison"))
    page = client.get(reverse("inspection-plan-list", kwargs={"code": "11-HND"}))
    inspection = setup.inspections["03127"]
    checklist_url = reverse("inspection-checklist", kwargs={"code": "11", "uuid": inspection.uuid})
    hrefs = [a.get("href") for a in lxml.html.fromstring(page.content).xpath("//a")]
    assert checklist_url in hrefs
    assert reverse("inspection-checklist", kwargs={"code": "11-HND", "uuid": inspection.uuid}) not in hrefs
    assert client.get(checklist_url).status_code == 200


def test_inspection_pages_render_in_english(client, tree, settings):
    setup = make_inspection_setup(tree, issued=True)
    inspection = setup.inspections["03127"]
    generate_checklist(inspection, user=tree.user("db.cadre"))
    client.force_login(tree.user("db.cadre"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    year = timezone.localdate().year
    pages = {
        reverse("inspection-plan-list", kwargs={"code": "11"}): (
            "Inspection plans", "The unit's inspection plans", "Inspections I'm on the team of", "Checklist",
            "Inspection summary", "Recommendations after inspections", "Inspections"),
        reverse("inspection-checklist", kwargs={"code": "11", "uuid": inspection.uuid}): (
            "Checklist", "Inspecting unit", "Inspection team", "Team's note", "Add evidence",
            "Partly compliant", "Not compliant", "Not applicable"),
        reverse("inspection-summary", kwargs={"code": "11", "period": str(year)}): (
            f"Inspection summary {year}", "Download .xlsx", f"No inspection was carried out in {year}."),
        reverse("recommendation-list", kwargs={"code": "11"}): (
            "Recommendations after inspections", "Recommendations the unit must carry out"),
    }
    for url, english in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = lxml.html.fromstring(response.content)
        assert page.get("lang") == "en"
        subnav = page.xpath("//nav[contains(@class, 'inspection-subnav')]/@aria-label")
        assert subnav == ([] if "/checklist/" in url else ["Inspection pages"]), url
        text = " ".join(page.text_content().split())
        for words in english:
            assert words in text, (url, words)
        # The interface's words only: the plan's title and the checklist's items are Vietnamese data.
        for vietnamese in ("Kế hoạch kiểm tra của đơn vị", "Cuộc kiểm tra tôi tham gia đoàn", "Đạt một phần",
                           "Ghi chú của đoàn", "Tổng hợp kết quả kiểm tra", "Kiến nghị sau kiểm tra"):
            assert vietnamese not in text, (url, vietnamese)
