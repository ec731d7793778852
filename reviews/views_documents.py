"""Pages of the periodic report documents of a unit and year: the list, and each file to download.

The unit comes through the one restriction (``UnitViewMixin``: a unit the user may read, else 404),
and the figures are those of its own subtree, so nobody reads the totals of a unit they cannot see.
"""
from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views import View
from django.views.generic import TemplateView

from mttq_platform.tenancy import UnitViewMixin
from reviews import documents
from reviews.services.errors import ReviewError


class DocumentListView(UnitViewMixin, TemplateView):
    template_name = "reviews/documents/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = self.kwargs["year"]
        directive_year = documents.directive_year_of(self.unit)
        context.update(
            year=year, directive_year=directive_year, formats=list(documents.FORMATS),
            kinds=documents.available_kinds(year, directive_year),
            years=[year - 1, year + 1],
            review_years=[kind.milestone.year(directive_year) for kind in documents.KINDS.values() if kind.is_review],
        )
        return context


class DocumentDownloadView(UnitViewMixin, View):
    def get(self, request, *args, **kwargs):
        fmt = self.kwargs["fmt"]
        if fmt not in documents.FORMATS:
            raise Http404(fmt)
        try:
            document = documents.draft(self.unit, self.kwargs["year"], self.kwargs["kind"])
        except ReviewError as error:
            # An unknown kind, or a review outside its milestone year: nothing to download here.
            raise Http404(error.message_en) from error
        return HttpResponse(
            documents.export(document, fmt),
            content_type=documents.FORMATS[fmt],
            headers={"Content-Disposition": content_disposition_header(True, document.filename(fmt))},
        )
