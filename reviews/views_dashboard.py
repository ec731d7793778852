"""The dashboard of a unit: its own plan's progress, its overdue tasks, the reporting rates of its
children with drill-down, completion by child and indicators over years (SVG, each with its
table), and the breakdowns by level and by member organization.

Every figure comes from the roll-up (``reviews.rollup.reading``), which reads aggregate cells:
the page costs the same number of queries for a district as for the province or the root. The
unit home loads the short version (``DashboardBlockView``) with htmx, so that orgtree needs no
import of reviews.
"""
from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, gettext as _
from django.views.generic import TemplateView

from mttq_platform.tenancy import UnitViewMixin
from mttq_platform.templatetags.mttq import localized_name
from reviews.charts import bar_chart, line_chart
from reviews.models import Indicator, IndicatorGroup, ProgressStatus, ReportStatus, TaskProgress, UnitReport
from reviews.rollup.reading import rollup_years
from reviews.views_reports import FIRST_YEAR, LAST_YEAR

YEARS_SHOWN = 5
OVERDUE_SHOWN = 20


def row_label(row) -> str:
    """A chart's label: a child unit by its area ("phường Him Lam": the committee's long name
    would be cut), other rows by their name in the page's language."""
    if row.unit is not None and getattr(row.unit, "area_name", ""):
        return row.unit.area_name
    if (get_language() or "").startswith("en") and getattr(row, "label_en", ""):
        return row.label_en
    return row.label


def indicators_over_years(by_year: dict, years: list[int]) -> dict:
    """The table (one row per indicator, one column per year) and the chart (one line per group of
    indicators, summed) of ``years``, from the roll-ups ``by_year``."""
    indicators = list(Indicator.objects.filter(active=True))
    # A year without any report in the subtree has no figures ("—", no point), not zeros.
    reported = {y for y in years if y in by_year and (by_year[y].total.reports_expected or by_year[y].total.reports_waived)}
    rows = [
        (localized_name(indicator), indicator.measure_unit,
         [by_year[y].total.indicators.get(indicator.code, 0) if y in reported else None for y in years])
        for indicator in indicators
    ]
    series = []
    for group, label in IndicatorGroup.choices:
        codes = [indicator.code for indicator in indicators if indicator.group == group]
        if codes:
            series.append((str(label), [
                sum(by_year[y].total.indicators.get(code, 0) for code in codes) if y in reported else None for y in years
            ]))
    chart = line_chart(_("Chỉ tiêu giám sát, phản biện xã hội qua các năm (theo nhóm)"), years, series)
    return {"years": years, "rows": rows, "chart": chart}


def dashboard_context(user, unit, year: int, today) -> dict:
    # One read of the roll-up for the year and the years before it (the chart over years).
    years = list(range(year - YEARS_SHOWN + 1, year + 1))
    by_year = rollup_years(unit, years, today=today)
    data = by_year[year]
    overdue = list(
        TaskProgress.objects.restrict(user)
        .filter(report__unit=unit, report__year=year, due__lt=today)
        .exclude(status=ProgressStatus.DONE)
        .select_related("task").order_by("due", "task__order")[: OVERDUE_SHOWN + 1]
    )
    own_report = UnitReport.objects.restrict(user).filter(unit=unit, year=year).only("status", "version").first()
    completion = bar_chart(
        _("Mức hoàn thành nhiệm vụ theo đơn vị trực thuộc (%)"),
        [(row_label(row), row.measures.completion) for row in data.by_child],
    )
    return {
        "rollup": data, "own": data.own, "total": data.total, "by_child": data.by_child,
        "by_level": data.by_level, "by_kind": data.by_kind,
        "overdue": overdue[:OVERDUE_SHOWN], "more_overdue": len(overdue) > OVERDUE_SHOWN,
        "own_report": own_report, "statuses": ReportStatus,
        "completion_chart": completion, "indicators": indicators_over_years(by_year, years),
        "today": today,
    }


class DashboardView(UnitViewMixin, TemplateView):
    template_name = "reviews/dashboard.html"

    def get_year(self) -> int:
        year = self.kwargs.get("year") or timezone.localdate().year
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Http404(year)
        return year

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = self.get_year()
        context.update(year=year, **dashboard_context(self.request.user, self.unit, year, timezone.localdate()))
        return context


class DashboardBlockView(DashboardView):
    """htmx partial of the unit home: the dashboard of the latest year the unit has a report for
    (this year's once opened; last year's in January), without the breakdown tables."""

    template_name = "reviews/_dashboard_block.html"

    def get_year(self) -> int:
        this_year = timezone.localdate().year
        latest = (
            UnitReport.objects.restrict(self.request.user).filter(unit=self.unit, year__lte=this_year)
            .order_by("-year").values_list("year", flat=True).first()
        )
        return latest or this_year
