"""The dashboard: its numbers are the roll-up's, every chart is SVG with its table, children drill
down to any commune, siblings get 404, and the page costs the same queries for a district as for
the province."""
from __future__ import annotations

from datetime import date

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.charts import bar_chart, line_chart, nice_maximum
from reviews.demo import generate_year
from reviews.models import ProgressStatus, TaskProgress
from reviews.rollup.reading import rollup
from tests.conftest import PASSWORD
from tests.plans.factories import seed_like_plan

YEAR = 2025


@pytest.fixture
def years(tree):
    seed_like_plan(tree["11"])
    generate_year(tree["11"], YEAR - 1, seed=3, today=date(YEAR, 1, 20))
    generate_year(tree["11"], YEAR, seed=7, today=date(YEAR + 1, 1, 20))


def login(client, tree, username):
    assert client.login(username=username, password=PASSWORD)


def dashboard(client, code, year=YEAR):
    return client.get(reverse("unit-dashboard", kwargs={"code": code, "year": year}))


def table_rows(page, css_class):
    """{first cell text: [other cell texts]} of the body rows, and the footer row."""
    table = page.find_class(css_class)[0]
    body = {
        row[0].text_content().strip(): [cell.text_content().split("(")[0].strip() for cell in row[1:]]
        for row in table.xpath("./tbody/tr") if len(row) > 1
    }
    foot = [cell.text_content().strip() for cell in table.xpath("./tfoot/tr/*")][1:]
    return body, foot


def number(value) -> str:
    """A percentage as the Vietnamese page writes it (decimal comma)."""
    return "—" if value is None else str(value).replace(".", ",")


@pytest.mark.parametrize("code,username", [("11", "db.chair"), ("094", "dbp.cadre")])
def test_the_numbers_are_the_roll_up(client, tree, years, code, username):
    login(client, tree, username)
    response = dashboard(client, code)
    assert response.status_code == 200
    data = rollup(tree[code], YEAR, today=timezone.localdate())
    assert data.total.reports_expected > 0 and data.total.tasks > 0
    page = lxml.html.fromstring(response.content)

    rates, rates_total = table_rows(page, "reporting-rates")
    completion, completion_total = table_rows(page, "completion-by-child")
    assert len(rates) == len(completion) == len(data.by_child)
    for row in data.by_child:
        m = row.measures
        assert rates[row.label] == [str(m.reports_expected), str(m.reports_submitted), str(m.reports_on_time),
                                    str(m.reports_accepted)]
        assert completion[row.label] == [str(m.tasks), str(m.done), str(m.overdue), number(m.completion)]
    t = data.total
    assert rates_total == [str(t.reports_expected), str(t.reports_submitted), str(t.reports_on_time), str(t.reports_accepted)]
    assert completion_total == [str(t.tasks), str(t.done), str(t.overdue), number(t.completion)]

    # The unit's own plan and its overdue rows (derived from the rows as of today).
    own = page.get_element_by_id("own-heading").getparent().text_content()
    assert f"{data.own.done}/{data.own.tasks}" in own
    overdue = TaskProgress.objects.filter(report__unit=tree[code], report__year=YEAR, due__lt=timezone.localdate()) \
        .exclude(status=ProgressStatus.DONE).count()
    assert data.own.overdue == overdue
    assert page.get_element_by_id("overdue-heading").text_content().split()[-1] == str(overdue)

    # Breakdown by level and by kind: one row each, their tasks adding up to the total.
    levels, _ = table_rows(page, "by-level")
    kinds, _ = table_rows(page, "by-kind")
    assert sum(int(cells[0]) for cells in levels.values()) == t.tasks
    assert sum(int(cells[0]) for cells in kinds.values()) == t.tasks
    assert len(kinds) == len(data.by_kind)


def test_every_chart_is_svg_with_its_table(client, tree, years):
    login(client, tree, "db.chair")
    page = lxml.html.fromstring(dashboard(client, "11").content)
    data = rollup(tree["11"], YEAR, today=timezone.localdate())

    completion = page.xpath('//figure[figcaption[@id="chart-completion-caption"]]')[0]
    bars = completion.xpath(".//svg//rect")
    assert len(bars) == len(data.by_child)
    # Geometry is written for SVG, not in the page's language (no decimal comma in attributes).
    assert all(float(bar.get("width")) >= 0 for bar in bars) and any(float(bar.get("width")) > 0 for bar in bars)
    assert completion.getnext().find_class("completion-by-child")  # the table right after the chart

    indicators = page.xpath('//figure[figcaption[@id="chart-indicators-caption"]]')[0]
    assert indicators.xpath(".//svg//polyline")
    table = indicators.getnext().find_class("indicators-over-years")[0]
    assert [th.text_content() for th in table.xpath("./thead/tr/th")][1:] == [str(y) for y in range(YEAR - 4, YEAR + 1)]
    # The table's indicator values for the two generated years are the roll-up's.
    previous = rollup(tree["11"], YEAR - 1)
    body = {row[0].text_content(): [c.text_content() for c in row[1:]] for row in table.xpath("./tbody/tr")}
    supervision = next(cells for name, cells in body.items() if name.startswith("Số cuộc giám sát thông qua tổ chức đoàn"))
    assert supervision == ["—", "—", "—", str(previous.total.indicators.get("gs-doan", 0)),
                           str(data.total.indicators.get("gs-doan", 0))]  # no reports before 2024: no figures


def test_children_drill_down_to_any_commune(client, tree, years):
    login(client, tree, "db.chair")
    html = dashboard(client, "11").content.decode()
    assert reverse("unit-dashboard", kwargs={"code": "094", "year": YEAR}) in html
    html = dashboard(client, "094").content.decode()
    assert reverse("unit-dashboard", kwargs={"code": "03127", "year": YEAR}) in html
    commune = dashboard(client, "03127")
    assert commune.status_code == 200 and b"chart-completion-caption" in commune.content


@pytest.mark.parametrize("username,code", [("himlam.cadre", "03124"), ("dbp.cadre", "095"), ("hn.chair", "11"),
                                           ("himlam.cadre", "094")])
def test_siblings_and_other_provinces_get_404(client, tree, years, username, code):
    login(client, tree, username)
    assert dashboard(client, code).status_code == 404
    assert client.get(reverse("unit-dashboard-block", kwargs={"code": code})).status_code == 404


def test_a_district_and_the_province_cost_the_same_queries(client, tree, years, django_assert_max_num_queries):
    login(client, tree, "db.chair")
    counts = []
    for code in ("094", "11", "094"):
        with CaptureQueriesContext(connection) as queries:
            assert dashboard(client, code).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    with django_assert_max_num_queries(14):  # 13 + the unread-notification badge of the unit navigation
        dashboard(client, "11")


def test_the_unit_home_loads_the_block_which_shows_this_years_dashboard(client, tree, years):
    login(client, tree, "dbp.cadre")
    home = client.get(reverse("unit-home", kwargs={"code": "094"})).content.decode()
    block_url = reverse("unit-dashboard-block", kwargs={"code": "094"})
    assert f'hx-get="{block_url}"' in home and 'hx-trigger="load"' in home
    assert "Ủy ban MTTQ Việt Nam phường Him Lam" in home  # the page's own content is kept
    block = client.get(block_url, HTTP_HX_REQUEST="true")
    assert block.status_code == 200
    html = block.content.decode()
    assert "<html" not in html and "<svg" in html and "reporting-rates" in html
    # The latest year the unit has a report for (the tests run after 2025).
    assert f"Tổng hợp đầy đủ năm {YEAR}" in html
    assert reverse("unit-dashboard", kwargs={"code": "03127", "year": YEAR}) in html


# -- the charts themselves ---------------------------------------------------------------------------------
def test_bar_lengths_are_proportional_and_none_draws_nothing():
    chart = bar_chart("t", [("A", 100), ("B", 50.0), ("C", None), ("D", 0)])
    widths = [bar.width for bar in chart.bars]
    assert widths[0] == chart.plot_width and widths[1] == chart.plot_width / 2 and widths[2] == 0 == widths[3]
    assert [bar.y for bar in chart.bars] == sorted({bar.y for bar in chart.bars})


def test_line_chart_scales_to_a_round_maximum():
    assert [nice_maximum(v) for v in (0, 1, 3, 7, 10, 11, 180)] == [1, 1, 5, 10, 10, 20, 200]
    chart = line_chart("t", [2024, 2025], [("a", [0, 20]), ("b", [None, 10])])
    a, b = chart.series
    assert a.dots[0][1] == chart.bottom and a.dots[1][1] < b.dots[0][1]  # 20 is drawn above 10
    assert len(b.dots) == 1 and chart.y_ticks[-1][1] == 20


def test_pages_render_in_english_with_english_breakdown_names(client, tree, years, settings):
    login(client, tree, "db.chair")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = dashboard(client, "11")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    levels, _ = table_rows(page, "by-level")
    data = rollup(tree["11"], YEAR, today=timezone.localdate())
    assert any(row.label_en for row in data.by_level)
    assert list(levels) == [row.label_en or row.label for row in data.by_level]
    # The interface itself is English (locale/en), the navigation's review links included.
    assert page.get("lang") == "en"
    text = page.text_content()
    for english in (f"Dashboard {YEAR}", "Task completion by unit below (%)", "Completion by unit below",
                    "Reporting rates of the units below", "Completion (%)", "Reports expected",
                    "Annual report", "Review children's reports", "Report documents", "Comment rounds",
                    "Notifications"):
        assert english in text, english
    for vietnamese in ("Tổng hợp năm", "Mức hoàn thành", "Báo cáo phải gửi", "Báo cáo năm", "Thông báo"):
        assert vietnamese not in text, vietnamese
    pages = {
        # Indicators by their English name (reference data: name_en, not gettext).
        "unit-report": (f"Annual report {YEAR}", "Task progress", "Approval history", "Due date",
                        "Supervisions by a supervision team", "People trained"),
        "unit-report-children": (f"{YEAR} annual reports of the units below", "First submitted", "awaiting review"),
    }
    for name, english_texts in pages.items():
        response = client.get(reverse(name, kwargs={"code": "11", "year": YEAR}))
        assert response.status_code == 200
        text = lxml.html.fromstring(response.content).text_content()
        for english in english_texts:
            assert english in text, (name, english)
        for vietnamese in ("Báo cáo năm", "Tiến độ thực hiện", "Quá trình duyệt", "Gửi lần đầu",
                           "Số cuộc giám sát thông qua tổ chức đoàn giám sát", "Số người được tập huấn"):
            assert vietnamese not in text, (name, vietnamese)
