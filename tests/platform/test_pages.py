"""The web UI shell: login landing, unit pages, the lazy tree, the audit page, languages, and the
number of queries each page costs (constant whatever the number of children)."""
import re

import pytest
from django.urls import reverse

from orgtree.models import Membership, OrgUnit, Role, UnitKind
from orgtree.services import create_unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOT_FOUND_VI = "Không tìm thấy trang hoặc bạn không có quyền xem"


@pytest.fixture
def as_user(client, tree):
    def login(username):
        client.force_login(tree.user(username))
        return client

    return login


def test_login_lands_commune_cadre_on_their_unit_home(client, tree):
    response = client.post(reverse("login"), {"username": "himlam.cadre", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/u/03127/"
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ủy ban MTTQ Việt Nam phường Him Lam" in page
    assert '<html lang="vi">' in page


def test_anonymous_user_is_sent_to_login(client, tree):
    response = client.get("/u/03127/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("path", ["/u/03124/", "/u/03124/tree/", "/u/99999/", "/u/01/", "/u/99999/tree/"])
def test_sibling_unrelated_and_unknown_units_give_the_vietnamese_404_page(as_user, path):
    response = as_user("himlam.cadre").get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert NOT_FOUND_VI in page
    assert "03124" not in page.replace(path, "")  # nothing of the unit leaks, not even its name
    assert "Noong Bua" not in page


def test_unit_home_shows_unit_parent_children_member_organizations_and_members(as_user):
    page = as_user("db.chair").get("/u/11/").content.decode()
    assert "Ủy ban MTTQ Việt Nam tỉnh Điện Biên" in page
    assert "Ủy ban MTTQ cấp tỉnh" in page and "Cấp tỉnh" in page  # kind and level
    assert 'href="/u/094/"' in page and 'href="/u/095/"' in page  # children, with links
    assert 'href="/u/11-HND/"' in page  # member organizations
    assert "db.cadre" in page and "Cán bộ" in page  # members with their roles
    assert "Ủy ban Trung ương MTTQ Việt Nam" in page and 'href="/u/TW/"' not in page  # parent, no link
    assert 'href="/u/11/audit/"' in page  # the chair manages the unit
    assert 'href="/u/03127/"' not in page  # grandchildren load elsewhere


def test_commune_home_links_parent_only_when_the_user_may_act_for_it(as_user):
    page = as_user("himlam.cadre").get("/u/03127/").content.decode()
    assert "Ủy ban MTTQ Việt Nam thành phố Điện Biên Phủ" in page
    assert 'href="/u/094/"' not in page
    assert 'href="/u/03127/audit/"' not in page  # a cadre does not manage
    page = as_user("dbp.cadre").get("/u/03127/").content.decode()
    assert 'href="/u/094/"' in page


def test_members_list_shows_the_units_own_members_only(as_user, tree):
    page = as_user("db.viewer").get("/u/11/").content.decode()
    for username in ("db.chair", "db.cadre", "db.viewer"):
        assert username in page
    for username in ("db.hnd.liaison", "dbp.cadre", "himlam.cadre", "hn.chair", "tw.analyst"):
        assert username not in page  # members of units below, beside and above
    # Him Lam's chair may not open the province at all, let alone see its members.
    assert as_user("himlam.chair").get("/u/11/").status_code == 404


def test_unit_switcher_lists_several_memberships(as_user, tree):
    client = as_user("himlam.cadre")
    assert "Chuyển đơn vị" not in client.get("/u/03127/").content.decode()
    Membership.objects.create(user=tree.user("himlam.cadre"), unit=tree["03151"], role=Role.objects.get(code="viewer"))
    page = client.get("/u/03127/").content.decode()
    assert "Chuyển đơn vị" in page
    assert 'href="/u/03151/"' in page


def test_tree_page_shows_children_with_lazy_expand_controls(as_user):
    page = as_user("db.cadre").get("/u/11/tree/").content.decode()
    assert 'href="/u/094/"' in page
    assert 'hx-get="/u/11/tree/children/?node=094"' in page
    assert 'href="/u/03127/"' not in page  # communes are not loaded until their district is expanded
    assert 'hx-get="/u/11/tree/children/?node=11-HND"' not in page  # leaves get no expand control


def test_tree_children_partial_returns_only_the_nodes_children(as_user):
    response = as_user("db.cadre").get("/u/11/tree/children/", {"node": "094"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page  # a fragment, not a page
    assert 'href="/u/03124/"' in page and 'href="/u/03127/"' in page
    assert 'href="/u/03151/"' not in page  # another district's commune


def test_tree_children_partial_hides_what_the_user_may_not_see(as_user):
    client = as_user("dbp.cadre")
    page = client.get("/u/094/tree/children/", {"node": "094"}).content.decode()
    assert 'href="/u/03127/"' in page
    # A node outside the page's unit or outside the user's scope: 404, even if it exists.
    for node in ("095", "03151", "11", "01", "nope"):
        assert client.get("/u/094/tree/children/", {"node": node}).status_code == 404, node
    assert as_user("himlam.cadre").get("/u/03127/tree/children/", {"node": "03124"}).status_code == 404


def test_audit_page_for_chair_only(as_user, tree):
    unit = tree["03127"]
    unit.name = "Ủy ban MTTQ Việt Nam phường Him Lam (đổi tên)"
    unit.save()
    response = as_user("himlam.chair").get("/u/03127/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nhật ký thay đổi" in page
    assert "(đổi tên)" in page and "Sửa" in page
    assert re.search(r"<time datetime=\"[^\"]+\">\d\d:\d\d \d\d/\d\d/\d{4}</time>", page)  # Vietnamese format
    assert as_user("himlam.cadre").get("/u/03127/audit/").status_code == 404
    assert as_user("db.viewer").get("/u/11/audit/").status_code == 404
    assert as_user("himlam.chair").get("/u/094/audit/").status_code == 404


def test_audit_page_shows_only_the_units_subtree(as_user, tree):
    hanoi = tree["01"]
    hanoi.name = "Hà Nội đổi tên bí mật"
    hanoi.save()
    page = as_user("db.chair").get("/u/11/audit/").content.decode()
    assert "Hà Nội đổi tên bí mật" not in page
    assert "Ủy ban MTTQ Việt Nam phường Him Lam" in page  # creation of a unit below


def test_english_switch_shows_english_text(client, tree):
    client.force_login(tree.user("himlam.cadre"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/u/03127/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/u/03127/"
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Subordinate units" in page and "Members" in page and "Log out" in page
    assert "Commune Front committee" in page  # the kind's English name
    assert "Đơn vị trực thuộc" not in page
    missing = client.get("/u/99999/")
    assert missing.status_code == 404
    assert "Page not found or you may not see it" in missing.content.decode()


def test_vietnamese_is_the_default(client, tree):
    client.force_login(tree.user("himlam.cadre"))
    page = client.get("/u/03127/").content.decode()
    assert "Đơn vị trực thuộc" in page and "Đăng xuất" in page


def test_user_without_unit_gets_the_no_unit_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("lone", password=PASSWORD))
    response = client.get("/")
    assert response.status_code == 403
    assert "Tài khoản chưa thuộc đơn vị nào" in response.content.decode()


def test_pages_load_vendored_assets_only(as_user):
    page = as_user("himlam.cadre").get("/u/03127/tree/").content.decode()
    assert "/static/vendor/htmx/htmx.min.js" in page and "/static/css/mttq.css" in page
    assert "https://" not in page and "http://" not in page
    assert "<script>" not in page  # no inline scripts (a strict CSP is coming)


# -- query counts ----------------------------------------------------------------------------------

# Queries per page, whatever the number of children or the depth of the tree:
# session, user, unit (tenancy), memberships (switcher), children with their child counts,
# then per page: members, "may act for the parent", "may manage" (home); the node (tree children);
# count and rows (audit).
# Each includes one read of the user's access scope (memberships and grants), cached for the request.
# Full pages add two counts: the unseen inbox items and the user's unread notifications of the
# unit navigation's badges (not the tree-children partial, which has no navigation).
MAX_QUERIES = {"unit-home": 11, "tree": 8, "tree-children": 6, "audit": 9}


def _district_with_communes(tree, count):
    kinds = {k.code: k for k in UnitKind.objects.filter(code__in=["district_committee", "commune_committee"])}
    district = create_unit(code=f"D{count}", name=f"Huyện thử {count}", kind=kinds["district_committee"], parent=tree["11"])
    for i in range(count):
        create_unit(code=f"D{count}-{i:03}", name=f"Xã thử {i}", kind=kinds["commune_committee"], parent=district)
    return OrgUnit.objects.get(pk=district.pk)


@pytest.mark.parametrize(
    "page, url",
    [("unit-home", "/u/{code}/"), ("tree", "/u/{code}/tree/"), ("tree-children", "/u/11/tree/children/?node={code}")],
)
def test_pages_cost_the_same_queries_for_1_and_100_children(as_user, tree, page, url, django_assert_max_num_queries):
    client = as_user("db.chair")
    one, hundred = _district_with_communes(tree, 1), _district_with_communes(tree, 100)
    client.get(url.format(code=one.code))  # warm the content-type cache
    with django_assert_max_num_queries(MAX_QUERIES[page]) as small:
        assert client.get(url.format(code=one.code)).status_code == 200
    with django_assert_max_num_queries(MAX_QUERIES[page]) as large:
        response = client.get(url.format(code=hundred.code))
    assert len(small) == len(large)
    assert "Xã thử 99" in response.content.decode()


@pytest.mark.parametrize(
    "username, page, url",
    [
        ("db.chair", "unit-home", "/u/11/"),
        ("himlam.cadre", "unit-home", "/u/03127/"),
        ("db.cadre", "tree", "/u/11/tree/"),
        ("himlam.cadre", "tree", "/u/03127/tree/"),
        ("tw.analyst", "tree", "/u/TW/tree/"),
    ],
)
def test_query_counts_do_not_grow_with_depth(as_user, username, page, url, django_assert_max_num_queries):
    client = as_user(username)
    with django_assert_max_num_queries(MAX_QUERIES[page]):
        assert client.get(url).status_code == 200


def test_audit_page_query_count_is_constant(as_user, tree, django_assert_max_num_queries):
    client = as_user("db.chair")
    client.get("/u/11/audit/")
    with django_assert_max_num_queries(MAX_QUERIES["audit"]):
        client.get("/u/11/audit/")
    _district_with_communes(tree, 60)  # 61 more audit rows: two pages
    with django_assert_max_num_queries(MAX_QUERIES["audit"]):
        response = client.get("/u/11/audit/", {"page": 2})
    assert response.status_code == 200
    assert 'rel="prev"' in response.content.decode()


@pytest.mark.parametrize(
    "handler, status, text",
    [
        ("permission_denied", 403, "Bạn không có quyền thực hiện thao tác này"),
        ("server_error", 500, "Đã xảy ra lỗi ở máy chủ"),
    ],
)
def test_error_pages_are_vietnamese_and_the_500_page_needs_no_database(rf, handler, status, text, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    from mttq_platform import views

    request = rf.get("/u/03127/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        response = getattr(views, handler)(request)
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.django_db
def test_an_english_browser_still_gets_vietnamese_until_the_user_switches(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "vi"
    client.cookies["django_language"] = "en"
    assert client.get("/accounts/login/").headers["Content-Language"] == "en"
