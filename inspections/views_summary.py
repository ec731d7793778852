"""The summary across the inspected units of the acting unit's own inspections in a year or a span
of years: the page, and its .xlsx and summary report .docx.

The unit comes through ``UnitViewMixin`` (a unit the user acts for, with_extra=False, else 404) and
the inspections through the one restriction; the figures are those of the unit's own plans.
"""
from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views import View
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from inspections import summary as summaries
from inspections.services.errors import InspectionError
from mttq_platform.tenancy import UnitViewMixin
from reviews.documents import cell_text


class SummaryMixin(UnitViewMixin):
    def get_summary(self) -> summaries.InspectionSummary:
        try:
            years = summaries.parse_period(self.kwargs["period"])
        except InspectionError as error:
            raise Http404(error.message_en) from error
        return summaries.summarize(self.unit, years, user=self.request.user)


class SummaryView(SummaryMixin, TemplateView):
    template_name = "inspections/summary/page.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        summary = self.get_summary()
        span = len(summary.years)
        context.update(
            summary=summary, period=summaries.period_slug(summary.years), formats=list(summaries.FORMATS),
            earlier=summaries.period_slug([y - span for y in summary.years]),
            later=summaries.period_slug([y + span for y in summary.years]),
            # The page shows the very tables the downloads hold, written as a Vietnamese text writes numbers.
            tables=[
                _table("items", _("Nội dung kiểm tra, nhiều đơn vị không đạt nhất trước"), summaries.item_table(summary)),
                _table("groups", _("Theo nhóm nội dung"), summaries.group_table(summary)),
                _table("recommendations", _("Kiến nghị chưa hoàn thành"), summaries.recommendation_table(summary),
                       flagged=[r.overdue for r in summary.open_recommendations],
                       empty=_("Không có kiến nghị chưa hoàn thành.")),
                _table("comparison", _("So sánh các đơn vị được kiểm tra"), summaries.comparison_table(summary)),
            ],
        )
        return context


def _table(name, title, table, flagged=(), empty=None) -> dict:
    header, rows = table
    return {
        "name": name, "title": title, "header": header, "empty": empty or _("Chưa có số liệu."),
        "rows": [
            {"cells": [{"text": cell_text(value), "number": value is None or isinstance(value, (int, float))} for value in row],
             "flagged": i < len(flagged) and flagged[i]}
            for i, row in enumerate(rows)
        ],
    }


class SummaryDownloadView(SummaryMixin, View):
    def get(self, request, *args, **kwargs):
        fmt = self.kwargs["fmt"]
        if fmt not in summaries.FORMATS:
            raise Http404(fmt)
        summary = self.get_summary()
        return HttpResponse(
            summaries.export(summary, fmt), content_type=summaries.FORMATS[fmt],
            headers={"Content-Disposition": content_disposition_header(True, summary.filename(fmt))},
        )
