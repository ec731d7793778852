"""GET /api/v1/rollup/: the roll-up of a unit the caller may act for, with drill-down to each
child; an invisible unit is a 404; the same queries for a district and the province."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from reviews.demo import generate_year
from reviews.models import ReportStatus, UnitReport
from reviews.rollup.reading import rollup
from tests.api.helpers import assert_json_error, session_client, token_client
from tests.plans.factories import seed_like_plan

YEAR = 2025
URL = "/api/v1/rollup/"


@pytest.fixture
def year(tree):
    seed_like_plan(tree["11"])
    return generate_year(tree["11"], YEAR, seed=3, today=date(2026, 1, 20))


def test_url_is_named():
    assert reverse("api:rollup") == URL


def test_the_province_sees_its_roll_up_with_drill_down(tree, year):
    client = session_client(tree.user("db.cadre"))
    response = client.get(URL, {"unit": "11", "year": YEAR})
    assert response.status_code == 200, response.content[:500]
    data = response.json()
    expected = rollup(tree["11"], YEAR)
    assert data["unit"] == {"code": "11", "name": tree["11"].name}
    assert data["total"]["tasks"] == expected.total.tasks > 0
    assert data["total"]["reports_expected"] == expected.total.reports_expected
    assert data["total"]["overdue"] == expected.total.overdue
    assert data["own"]["tasks"] == expected.own.tasks
    assert data["total"]["completion"] == expected.total.completion
    children = {row["code"]: row for row in data["by_child"]}
    assert {"094", "095", "11-HND"} <= set(children)
    assert children["094"]["level"] == "district"
    # Drill-down: the child's link answers the child's roll-up, and so on down to a commune.
    drill = client.get(children["094"]["rollup"]).json()
    assert drill["unit"]["code"] == "094"
    assert drill["total"] == children["094"]["measures"]
    commune = client.get(next(row["rollup"] for row in drill["by_child"] if row["code"] == "03127")).json()
    assert commune["by_child"] == [] and commune["total"] == commune["own"]
    assert {row["key"] for row in data["by_level"]} == {"province", "district", "commune"}
    assert sum(row["measures"]["tasks"] for row in data["by_kind"]) == data["total"]["tasks"]
    indicators = {row["code"]: row for row in data["indicators"]}
    assert "gs-doan" in indicators
    assert indicators["gs-doan"]["total"] == expected.total.indicators.get("gs-doan", 0)


def test_accepted_only_counts_accepted_reports(tree, year):
    client = session_client(tree.user("db.cadre"))
    every = client.get(URL, {"unit": "11", "year": YEAR}).json()
    accepted = client.get(URL, {"unit": "11", "year": YEAR, "accepted_only": "1"}).json()
    assert accepted["accepted_only"] is True
    assert accepted["total"]["tasks"] < every["total"]["tasks"]
    assert accepted["total"]["tasks"] == sum(
        r.progress.count() for r in UnitReport.objects.filter(year=YEAR, status=ReportStatus.ACCEPTED))
    # Reporting rates are about every report, whichever figures are shown.
    assert accepted["total"]["reports_expected"] == every["total"]["reports_expected"]
    assert "accepted_only=1" in accepted["by_child"][0]["rollup"]


@pytest.mark.parametrize("username, code", [
    ("himlam.cadre", "11"),   # an ancestor: its roll-up would show the siblings
    ("himlam.cadre", "03124"),  # a sibling
    ("hn.chair", "11"),  # another province
    ("dbp.cadre", "095"),
])
def test_units_outside_the_callers_subtree_are_not_found(tree, year, username, code):
    response = session_client(tree.user(username)).get(URL, {"unit": code, "year": YEAR})
    assert_json_error(response, 404, "not_found")


def test_unknown_unit_and_bad_year_are_clear_errors(tree):
    client = session_client(tree.user("db.cadre"))
    assert_json_error(client.get(URL, {"unit": "nope", "year": YEAR}), 404, "not_found")
    error = assert_json_error(client.get(URL, {"unit": "11", "year": "x"}), 400, "invalid")
    assert list(error["detail"]) == ["year"]
    assert list(assert_json_error(client.get(URL, {"year": YEAR}), 400, "invalid")["detail"]) == ["unit"]


def test_anonymous_is_refused(client, tree):
    assert client.get(URL, {"unit": "11", "year": YEAR}).status_code in (401, 403)


def test_a_token_narrowed_to_a_district_sees_only_it(tree, year):
    client, _ = token_client(tree.user("db.cadre"), unit=tree["094"], read_only=True)
    assert client.get(URL, {"unit": "094", "year": YEAR}).status_code == 200
    assert_json_error(client.get(URL, {"unit": "11", "year": YEAR}), 404, "not_found")


def test_period_is_an_alias_of_year(tree, year):
    client = session_client(tree.user("db.cadre"))
    assert client.get(URL, {"unit": "094", "period": YEAR}).json()["year"] == YEAR


def test_the_same_queries_for_a_commune_a_district_the_province_and_the_root(tree, year):
    client = session_client(tree.user("root"))
    counts = {}
    for code in ("03127", "094", "11", "TW"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"unit": code, "year": YEAR}).status_code == 200
        counts[code] = len(queries)
    assert len(set(counts.values())) == 1, counts
    assert counts["TW"] <= 12


def test_documented_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"unit", "year", "accepted_only"}
    assert "Rollup" in schema["components"]["schemas"]
