"""Listing 1 or 100 units costs the same queries, by session or by token."""
import pytest
from django.urls import reverse

from orgtree.models import UnitKind
from orgtree.services import create_unit
from tests.api.helpers import session_client, token_client

pytestmark = pytest.mark.django_db

LIST = reverse("api:orgunit-list")


@pytest.fixture
def many_communes(tree):
    commune = UnitKind.objects.get(code="commune_committee")
    parent = tree["095"]
    for n in range(100):
        create_unit(code=f"T{n:04d}", name=f"Ủy ban MTTQ xã thử {n}", kind=commune, parent=parent)


@pytest.mark.parametrize("how", ["session", "token", "token scoped"])
@pytest.mark.parametrize("query", [{}, {"within": "095"}, {"kind": "commune_committee", "ordering": "name"}])
def test_listing_1_or_100_units_costs_the_same(tree, many_communes, django_assert_max_num_queries, how, query):
    user = tree.user("db.chair")
    if how == "session":
        client = session_client(user)
    else:
        client, _ = token_client(user, unit=tree["095"] if how == "token scoped" else None)
        client.get(LIST)  # the first use records last_used_at once; measure the steady state

    counts = {}
    for size in (1, 100):
        with django_assert_max_num_queries(8) as captured:  # a budget; equality is the point
            response = client.get(LIST, {**query, "page_size": size})
        assert len(response.json()["results"]) == size
        counts[size] = len(captured)
    assert counts[1] == counts[100]


def test_children_and_ancestors_cost_the_same_for_1_or_100(tree, many_communes, django_assert_max_num_queries):
    client = session_client(tree.user("db.chair"))
    counts = {}
    for size in (1, 100):
        with django_assert_max_num_queries(8) as captured:  # a budget; equality is the point
            response = client.get(reverse("api:orgunit-children", kwargs={"code": "095"}), {"page_size": size})
        assert len(response.json()["results"]) == size
        counts[size] = len(captured)
    assert counts[1] == counts[100]
