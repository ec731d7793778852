"""/api/v1/units/: list with filters, search, ordering and pagination; detail; children; ancestors."""
import pytest
from django.urls import reverse

from orgtree.models import CodeSet, OrgUnit
from tests.api.helpers import assert_json_error, result_codes, session_client

pytestmark = pytest.mark.django_db

DIEN_BIEN_SUBTREE = {"11", "094", "03124", "03127", "095", "03151",
                     "11-LDLD", "11-HND", "11-HLHPN", "11-DTN", "11-HCCB"}
MEMBER_ORGS = {"11-LDLD", "11-HND", "11-HLHPN", "11-DTN", "11-HCCB"}
LIST = reverse("api:orgunit-list")


def detail(code, suffix="detail"):
    return reverse(f"api:orgunit-{suffix}", kwargs={"code": code})


@pytest.fixture
def chair(tree):
    return session_client(tree.user("db.chair"))


def test_list_is_own_subtree_and_the_units_above_in_tree_order(chair):
    response = chair.get(LIST)
    assert response.json()["count"] == len(DIEN_BIEN_SUBTREE) + 1
    codes = result_codes(response)
    assert set(codes) == DIEN_BIEN_SUBTREE | {"TW"}
    assert codes[:3] == ["TW", "11", "094"]  # tree order by default


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"within": "094"}, {"094", "03124", "03127"}),
        ({"within": "01"}, set()),  # invisible anchor: nothing, not an error that confirms it exists
        ({"within": "does-not-exist"}, set()),
        ({"kind": "commune_committee"}, {"03124", "03127", "03151"}),
        ({"level": "district"}, {"094", "095"}),
        ({"level": "province"}, {"11"} | MEMBER_ORGS),
        ({"category": "member_organization"}, MEMBER_ORGS),
        ({"kind": "hnd", "within": "11"}, {"11-HND"}),
        ({"q": "him lam"}, {"03127"}),
        ({"q": "094"}, {"094"}),  # a code matches exactly, not as a substring of 03124's name
        ({"search": "Mường Lay"}, {"095"}),
        ({"code_set": "legacy"}, {"03127"}),
    ],
)
def test_list_filters(chair, query, expected):
    OrgUnit.objects.filter(code="03127").update(code_set=CodeSet.objects.get(code="legacy"))
    assert set(result_codes(chair.get(LIST, query))) == expected


def test_list_ordering_and_pagination(chair):
    codes = result_codes(chair.get(LIST, {"ordering": "-code", "page_size": 100}))
    assert codes == sorted(DIEN_BIEN_SUBTREE | {"TW"}, reverse=True)

    page = chair.get(LIST, {"page_size": 5, "page": 2}).json()
    assert page["count"] == 12 and len(page["results"]) == 5
    assert page["previous"] and page["next"]
    assert_json_error(chair.get(LIST, {"page": 99}), 404, "not_found")


def test_detail(chair, tree):
    body = chair.get(detail("03127")).json()
    assert body["code"] == "03127"
    assert body["name"] == "Ủy ban MTTQ Việt Nam phường Him Lam"
    assert body["parent"] == "094"
    assert body["kind"]["code"] == "commune_committee" and body["kind"]["category"] == "front_committee"
    assert body["level"]["code"] == "commune"
    assert body["descendant_count"] == 0
    assert body["url"].endswith(detail("03127"))
    assert chair.get(detail("11")).json()["descendant_count"] == len(DIEN_BIEN_SUBTREE) - 1


def test_children_lists_visible_children_and_takes_filters(chair):
    assert set(result_codes(chair.get(detail("11", "children")))) == {"094", "095"} | MEMBER_ORGS
    # The filter applies to the children, not to the unit whose children they are.
    filtered = chair.get(detail("11", "children"), {"kind": "district_committee"})
    assert set(result_codes(filtered)) == {"094", "095"}
    # Children of the root: only the caller's own branch, never the other province.
    assert result_codes(chair.get(detail("TW", "children"))) == ["11"]


def test_ancestors_from_the_root_down(chair):
    assert result_codes(chair.get(detail("03127", "ancestors"))) == ["TW", "11", "094"]
    assert result_codes(chair.get(detail("TW", "ancestors"))) == []


def test_unknown_and_invisible_units_are_the_same_404(chair):
    for code in ("nope", "01", "00001"):
        for suffix in ("detail", "children", "ancestors"):
            assert_json_error(chair.get(detail(code, suffix)), 404, "not_found")


def test_units_endpoints_are_read_only(chair):
    assert_json_error(chair.post(LIST, {"code": "X"}), 405, "method_not_allowed")
    assert_json_error(chair.delete(detail("11")), 405, "method_not_allowed")
