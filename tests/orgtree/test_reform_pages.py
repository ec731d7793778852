"""After a reform: the unit home of an ended unit and of a new one, the tree browser and the units
API, each showing only the successions between units the caller may see.

On the shared small tree: Him Lam (03127) and Noong Bua (03124) ended with their city (094) on
30/06/2025 and, with Sông Đà (03151) of Mường Lay, formed the new ward 03127-2025 directly under the
province."""
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orgtree.models import Membership, OrgUnit, Role, UnitKind, UnitSuccession
from orgtree.services import create_unit
from tests.api.helpers import session_client

pytestmark = pytest.mark.django_db
ENDED, BEGUN = date(2025, 6, 30), date(2025, 7, 1)
NEW_WARD = "03127-2025"


@pytest.fixture
def reformed(tree):
    OrgUnit.objects.filter(code__in=["094", "03124", "03127"]).update(active_to=ENDED)
    ward = create_unit(code=NEW_WARD, name="Ủy ban MTTQ Việt Nam phường Điện Biên Phủ", area_name="phường Điện Biên Phủ",
                       kind=UnitKind.objects.get(code="commune_committee"), parent=tree["11"], active_from=BEGUN)
    for code in ("03124", "03127", "03151"):
        UnitSuccession.objects.create(predecessor=tree[code], successor=ward, effective_date=BEGUN)
    return ward


@pytest.fixture
def ward_and_him_lam_cadre(tree, reformed):
    """After the reform a cadre of Him Lam kept that membership and got one in the new ward."""
    cadre = get_user_model().objects.create_user("dbp.ward.cadre")
    for unit in (reformed, tree["03127"]):
        Membership.objects.create(user=cadre, unit=unit, role=Role.objects.get(code="cadre"))
    return cadre


def page(client, code, language="vi"):
    client.cookies["django_language"] = language
    response = client.get(reverse("unit-home", kwargs={"code": code}))
    assert response.status_code == 200
    return response.content.decode()


def test_an_ended_unit_says_when_it_stopped_and_links_its_successor(client, tree, reformed):
    client.force_login(tree.user("db.chair"))
    text = page(client, "03127")
    assert "Đã ngừng hoạt động (hoạt động đến 30/06/2025)" in text
    assert "Đơn vị kế tục:" in text and f'href="/u/{NEW_WARD}/"' in text

    english = page(client, "03127", "en")
    assert "Stopped (active until 2025-06-30)" in english and "Succeeded by:" in english


def test_a_new_unit_lists_what_it_was_formed_from(client, tree, reformed):
    client.force_login(tree.user("db.chair"))
    text = page(client, NEW_WARD)
    assert "Hình thành từ:" in text and "Ngừng hoạt động" not in text
    for name in ("phường Him Lam", "phường Noong Bua", "phường Sông Đà"):
        assert name in text
    assert "Formed from:" in page(client, NEW_WARD, "en")


def test_a_commune_user_sees_no_succession_outside_their_reach(client, tree, reformed, ward_and_him_lam_cadre):
    client.force_login(tree.user("himlam.cadre"))  # Him Lam only: the new ward is not theirs
    text = page(client, "03127")
    assert "Đã ngừng hoạt động (hoạt động đến 30/06/2025)" in text
    assert NEW_WARD not in text and "phường Điện Biên Phủ" not in text and "Đơn vị kế tục" not in text

    # A cadre of the new ward reads the communes merged into it (mttq_platform.permissions): all three.
    client.force_login(ward_and_him_lam_cadre)
    text = page(client, NEW_WARD)
    assert "Hình thành từ:" in text and "phường Him Lam" in text
    assert "Noong Bua" in text and "Sông Đà" in text


def test_the_tree_lists_ended_units_last_and_marks_them(client, tree, reformed):
    client.force_login(tree.user("db.chair"))
    client.cookies["django_language"] = "vi"
    text = client.get(reverse("unit-tree", kwargs={"code": "11"})).content.decode()
    ward, mlay, city = (text.index(f'href="/u/{code}/"') for code in (NEW_WARD, "095", "094"))
    assert ward < city and mlay < city  # the ended city comes after the active children
    ended_item = text[text.rindex("<li", 0, city):text.index("</li>", city)]
    assert "tree-node-ended" in ended_item and "Đã ngừng hoạt động (hoạt động đến 30/06/2025)" in ended_item
    assert "Ngừng hoạt động" not in text[text.rindex("<li", 0, mlay):text.index("</li>", mlay)]


def detail(client, code):
    return client.get(reverse("api:orgunit-detail", kwargs={"code": code}))


def test_the_api_detail_gives_successors_and_predecessors(tree, reformed):
    chair = session_client(tree.user("db.chair"))
    body = detail(chair, "03127").json()
    assert (body["successors"], body["predecessors"]) == ([NEW_WARD], [])
    assert detail(chair, NEW_WARD).json()["predecessors"] == ["03124", "03127", "03151"]
    # The list stays as it was: the successions are on the detail only.
    assert "successors" not in chair.get(reverse("api:orgunit-list")).json()["results"][0]


def test_the_api_never_names_a_unit_outside_the_callers_reach(tree, reformed, ward_and_him_lam_cadre):
    him_lam = session_client(tree.user("himlam.cadre"))
    assert detail(him_lam, "03127").json()["successors"] == []
    assert detail(him_lam, NEW_WARD).status_code == 404

    both = session_client(ward_and_him_lam_cadre)
    assert detail(both, NEW_WARD).json()["predecessors"] == ["03124", "03127", "03151"]
    assert NEW_WARD not in detail(session_client(tree.user("dbp.cadre")), "03124").content.decode()


def test_the_detail_costs_the_same_with_or_without_successions(tree, reformed, django_assert_max_num_queries):
    chair = session_client(tree.user("db.chair"))
    detail(chair, "095")  # warm up
    counts = {}
    for code in ("095", NEW_WARD):  # no succession; three predecessors
        with django_assert_max_num_queries(8) as captured:
            assert detail(chair, code).status_code == 200
        counts[code] = len(captured)
    assert counts["095"] == counts[NEW_WARD]


def test_a_new_ward_reads_the_history_of_the_communes_merged_into_it(tree, reformed):
    """The ward carries on the work of Him Lam, Noong Bua and Sông Đà: its people read their plans
    and reports (the five-year review of 2021-2025 needs them), and change nothing of theirs."""
    from mttq_platform.permissions import can
    from plans.models import PlanDocument
    from tests.plans.factories import seed_like_plan

    him_lam_plan = seed_like_plan(tree["03127"])
    ward_cadre = get_user_model().objects.create_user("ward.only.cadre")
    Membership.objects.create(user=ward_cadre, unit=reformed, role=Role.objects.get(code="cadre"))

    assert PlanDocument.objects.restrict(ward_cadre).filter(pk=him_lam_plan.pk).exists()
    assert not PlanDocument.objects.restrict(ward_cadre, "change").filter(pk=him_lam_plan.pk).exists()
    assert not can(ward_cadre, "change", tree["03127"])
    client = session_client(ward_cadre)
    assert client.get(reverse("api:plandocument-detail", kwargs={"uuid": him_lam_plan.uuid})).status_code == 200
    assert client.get(reverse("unit-home", kwargs={"code": "03151"})).status_code == 200
    # Only what the ward took over: the district above them and its other units stay out of reach.
    assert client.get(reverse("unit-home", kwargs={"code": "094"})).status_code in (403, 404)
    assert not OrgUnit.objects.restrict(ward_cadre).filter(code="001").exists()
    # Nobody else gains anything: a cadre of an unrelated province still cannot read Him Lam's plan.
    assert not PlanDocument.objects.restrict(tree.user("hn.chair")).filter(pk=him_lam_plan.pk).exists()
