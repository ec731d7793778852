"""Findings, conclusion and recommendations pages, under /u/<code>/inspections/.

The unit in the address is the one the user acts for: the inspecting unit (the plan's unit: its
team and staff) or the inspected unit (or a unit above it, read-only). The inspection and its
recommendations are always read through ``restrict``; what is shown of the team's work before the
conclusion is decided by ``rules.sees_internal``; every write goes through the services, whose
refusals are shown in Vietnamese and English with what the user typed kept.
"""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from inspections import exporting_conclusions
from inspections.forms_conclusions import (
    AnswerForm, ConclusionForm, DecisionForm, FindingsForm, recommendation_formset, recommendation_inputs,
)
from inspections.models import Inspection, Recommendation, RecommendationAnswer, RecommendationStatus
from inspections.services import conclusions as conclusion_service, recommendations as recommendation_service, rules
from inspections.services.errors import InspectionError
from mttq_platform.tenancy import UnitViewMixin
from reviews.services.errors import ReviewError
from reviews.views_evidence import private_file_response


def error_text(error: InspectionError) -> str:
    return f"{error.message_vi} / {error.message_en}"


def _subtree(unit, prefix: str) -> Q:
    return Q(**{f"{prefix}tree_id": unit.tree_id, f"{prefix}lft__gte": unit.lft, f"{prefix}lft__lte": unit.rght})


def for_unit_q(unit, prefix: str = "") -> Q:
    """Inspections the unit of the address holds: those it runs, and those of its subtree."""
    return Q(**{f"{prefix}plan__unit": unit}) | _subtree(unit, f"{prefix}unit__")


def conclusion_url(unit, inspection) -> str:
    return reverse("inspection-conclusion", kwargs={"code": unit.code, "uuid": inspection.uuid})


def recommendation_url(unit, recommendation) -> str:
    return reverse("recommendation-detail", kwargs={"code": unit.code, "pk": recommendation.pk})


# -- the inspection's findings and conclusion ---------------------------------------------------------
class InspectionMixin(UnitViewMixin):
    @cached_property
    def inspection(self) -> Inspection:
        return get_object_or_404(
            Inspection.objects.restrict(self.request.user).select_related("plan__unit", "unit", "team")
            .filter(for_unit_q(self.unit), uuid=self.kwargs["uuid"])
        )


class ConclusionView(InspectionMixin, TemplateView):
    """The findings, assessment and conclusion of one inspection, its recommendations, and the
    forms of whoever may write them."""

    template_name = "inspections/conclusions/detail.html"

    def get_context_data(self, findings_form=None, conclusion_form=None, formset=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user, inspection, today = self.request.user, self.inspection, timezone.localdate()
        can_record = conclusion_service.can_record(user, inspection)
        can_conclude = conclusion_service.can_conclude(user, inspection)
        recommendations = list(
            Recommendation.objects.restrict(user).filter(inspection=inspection).select_related("responsible_unit")
        )
        context.update(
            inspection=inspection, sees_internal=rules.sees_internal(user, inspection),
            number_symbol=conclusion_service.number_symbol(inspection),
            findings_form=findings_form or (FindingsForm(instance=inspection) if can_record else None),
            conclusion_form=conclusion_form or (ConclusionForm(initial={"date": today}) if can_conclude else None),
            formset=formset or (recommendation_formset(inspection.unit) if can_conclude else None),
            recommendations=[(r, recommendation_service.is_overdue(r, today), recommendation_url(self.unit, r))
                             for r in recommendations],
        )
        return context


class FindingsView(ConclusionView):
    http_method_names = ["post"]

    def post(self, request, code, uuid):
        inspection = self.inspection
        form = FindingsForm(request.POST, instance=Inspection(pk=inspection.pk))
        if form.is_valid():
            try:
                conclusion_service.record_findings(request.user, inspection, **{
                    name: form.cleaned_data[name] for name in FindingsForm.Meta.fields})
            except InspectionError as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("Đã lưu kết quả kiểm tra."))
                return redirect(conclusion_url(self.unit, inspection))
        return self.render_to_response(self.get_context_data(findings_form=form), status=400)


class ConcludeView(ConclusionView):
    http_method_names = ["post"]

    def post(self, request, code, uuid):
        inspection = self.inspection
        form, formset = ConclusionForm(request.POST), recommendation_formset(inspection.unit, request.POST)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                conclusion_service.conclude(request.user, inspection, number=data["number"], symbol=data["symbol"],
                                            conclusion_date=data["date"], text=data["text"],
                                            recommendations=recommendation_inputs(formset))
            except InspectionError as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("Đã ban hành kết luận kiểm tra."))
                return redirect(conclusion_url(self.unit, inspection))
        return self.render_to_response(self.get_context_data(conclusion_form=form, formset=formset), status=400)


class ConclusionDocxView(InspectionMixin, View):
    """The kết luận kiểm tra as .docx: once issued, or as a draft for those who see the team's work."""

    def get(self, request, code, uuid):
        inspection = self.inspection
        if not (inspection.is_concluded or rules.sees_internal(request.user, inspection)):
            raise Http404(str(uuid))
        content = exporting_conclusions.export_docx(inspection, Recommendation.objects.restrict(request.user)
                                                    .filter(inspection=inspection).select_related("responsible_unit"))
        response = HttpResponse(content, content_type=exporting_conclusions.DOCX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{exporting_conclusions.filename(inspection)}"'
        return response


# -- recommendations ----------------------------------------------------------------------------------
class RecommendationMixin(UnitViewMixin):
    @cached_property
    def recommendation(self) -> Recommendation:
        return get_object_or_404(
            Recommendation.objects.restrict(self.request.user)
            .select_related("inspection__plan__unit", "inspection__unit", "inspection__team", "responsible_unit")
            .filter(for_unit_q(self.unit, "inspection__") | _subtree(self.unit, "responsible_unit__"), pk=self.kwargs["pk"])
        )

    def detail_url(self) -> str:
        return recommendation_url(self.unit, self.recommendation)


class RecommendationDetailView(RecommendationMixin, TemplateView):
    """The conclusion a recommendation belongs to, its answers, the answer form of the inspected
    unit and the leader's close/reopen."""

    template_name = "inspections/recommendations/detail.html"

    def get_context_data(self, answer_form=None, decision_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user, recommendation = self.request.user, self.recommendation
        answers = list(RecommendationAnswer.objects.restrict(user).filter(recommendation=recommendation)
                       .select_related("answered_by", "decided_by"))
        can_decide = recommendation_service.can_decide(user, recommendation)
        context.update(
            recommendation=recommendation, inspection=recommendation.inspection,
            overdue=recommendation_service.is_overdue(recommendation, timezone.localdate()),
            answers=[(a, reverse("recommendation-answer-file", kwargs={"code": self.unit.code, "pk": a.pk}) if a.file else "")
                     for a in answers],
            answer_form=answer_form or (AnswerForm() if recommendation_service.can_answer(user, recommendation) else None),
            decision_form=decision_form or (DecisionForm() if can_decide else None),
            can_close=can_decide and recommendation.status != RecommendationStatus.CLOSED,
            can_reopen=can_decide and recommendation.status in (RecommendationStatus.ANSWERED, RecommendationStatus.CLOSED),
            conclusion_url=conclusion_url(self.unit, recommendation.inspection),
        )
        return context

    def rerender(self, status=400, **forms):
        return self.render_to_response(self.get_context_data(**forms), status=status)


class AnswerView(RecommendationDetailView):
    http_method_names = ["post"]

    def post(self, request, code, pk):
        form = AnswerForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                recommendation_service.answer(request.user, self.recommendation, form.cleaned_data["text"],
                                              form.cleaned_data.get("file"))
            except InspectionError as error:
                form.add_error(None, error_text(error))
            except ReviewError as error:  # the evidence check refused the file
                form.add_error("file", error_text(error))
            else:
                messages.success(request, _("Đã gửi báo cáo kết quả thực hiện kiến nghị."))
                return redirect(self.detail_url())
        return self.rerender(answer_form=form)


class DecideView(RecommendationDetailView):
    http_method_names = ["post"]

    """POST close or reopen (with a note)."""

    def post(self, request, code, pk, decision):
        form = DecisionForm(request.POST)
        form.is_valid()
        note = form.cleaned_data.get("note", "")
        decide = recommendation_service.close if decision == "close" else recommendation_service.reopen
        try:
            decide(request.user, self.recommendation, note)
        except InspectionError as error:
            form.add_error(None, error_text(error))
            return self.rerender(decision_form=form)
        messages.success(request, _("Đã đóng kiến nghị.") if decision == "close" else _("Đã yêu cầu tiếp tục thực hiện."))
        return redirect(self.detail_url())


class AnswerFileView(UnitViewMixin, View):
    """An answer's evidence file, read through the restriction, streamed as an attachment."""

    def get(self, request, code, pk):
        reply = (
            RecommendationAnswer.objects.restrict(request.user)
            .filter(for_unit_q(self.unit, "recommendation__inspection__")
                    | _subtree(self.unit, "recommendation__responsible_unit__"), pk=pk)
            .exclude(file="").first()
        )
        if reply is None:
            raise Http404(str(pk))
        return private_file_response(reply)


class OverdueBlockView(UnitViewMixin, TemplateView):
    """The unit home's block (htmx): overdue recommendations it must answer, and those it issued."""

    template_name = "inspections/recommendations/_overdue_block.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        to_answer, issued = recommendation_service.overdue_for_unit(self.request.user, self.unit, timezone.localdate())
        context.update(
            to_answer=[(r, recommendation_url(self.unit, r)) for r in to_answer],
            issued=[(r, recommendation_url(self.unit, r)) for r in issued],
        )
        return context


class RecommendationListView(UnitViewMixin, TemplateView):
    """The recommendations of the unit's inspections: those it must answer and those it issued."""

    template_name = "inspections/recommendations/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        visible = (Recommendation.objects.restrict(self.request.user)
                   .select_related("inspection__unit", "inspection__plan__unit", "responsible_unit")
                   .order_by("status", "deadline", "pk"))
        to_answer = visible.filter(_subtree(self.unit, "inspection__unit__") | _subtree(self.unit, "responsible_unit__"))
        issued = visible.filter(inspection__plan__unit=self.unit)
        context.update(to_answer=self.rows(to_answer, today), issued=self.rows(issued, today))
        return context

    def rows(self, recommendations, today) -> list[tuple]:
        return [(r, recommendation_service.is_overdue(r, today), recommendation_url(self.unit, r)) for r in recommendations]

