"""Pages of derivation: issuing a draft, deriving the unit's own plan from an issued plan above it
(per-task rules shown with their reason, each one overridable), starting the job that derives the
drafts of a whole subtree, and that job's progress.

Everything goes through the one restriction: plans through ``plans_concerning`` (the unit's subtree
and what the units above have issued), jobs through ``DerivationJob.objects.restrict``. Who may
derive is the service's rule (``can_derive``); who may issue is the issuing service's ("manage").
"""
from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from mttq_platform.tenancy import UnitViewMixin
from plans.models import DerivationJob, DerivationRule, DocumentKind, PlanDocument
from plans.models.base import PUBLISHED_STATUSES
from plans.services import guidance
from plans.services.derivation import DerivationError, can_derive, derive_plan, rule_decisions, start_subtree_derivation
from plans.views import PlanObjectMixin, plans_concerning

RECENT_JOBS = 10


def in_language(vietnamese: str, english: str) -> str:
    """The service's bilingual messages (DerivationError, RuleDecision) in the page's language."""
    return english if (get_language() or "").startswith("en") else vietnamese


# -- issuing -------------------------------------------------------------------------------------------
class PlanIssueView(PlanObjectMixin, View):
    """POST: the draft becomes the issued version 1. The service checks "manage" on the plan's unit."""

    def post(self, request, *args, **kwargs):
        plan = self.get_plan()
        try:
            guidance.issue(plan, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Đã ban hành kế hoạch."))
        return redirect("plan-detail", code=self.unit.code, uuid=plan.uuid)


# -- which plans a unit derives from ---------------------------------------------------------------------
def plans_above(user, unit):
    """Issued plans of the units above ``unit`` that ``user`` may read: what ``unit`` can derive
    from. The nearest unit's first: a committee derives from its parent committee's plan, a member
    organization from the plan of the committee it stands beside (its tree parent)."""
    return (
        plans_concerning(user, unit)
        .filter(unit__tree_id=unit.tree_id, unit__lft__lt=unit.lft, unit__rght__gt=unit.rght,
                status__in=PUBLISHED_STATUSES, kind=DocumentKind.PLAN)
        .select_related("unit")
        .order_by("-unit__lft", "-date", "-created_at")
    )


def subtree_sources(user, unit):
    """Issued plans a job for ``unit``'s subtree can start from: the unit's own and those above."""
    return (
        plans_concerning(user, unit)
        .filter(unit__tree_id=unit.tree_id, unit__lft__lte=unit.lft, unit__rght__gte=unit.rght,
                status__in=PUBLISHED_STATUSES, kind=DocumentKind.PLAN)
        .select_related("unit")
        .order_by("-unit__lft", "-date", "-created_at")
    )


class DerivationRulesForm(forms.Form):
    """One choice per task of ``plan`` (the parent plan), preset to its default rule for ``unit``."""

    def __init__(self, plan, unit, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.decisions = decisions = rule_decisions(plan, unit)
        for decision in decisions:
            self.fields[self.field_name(decision)] = forms.ChoiceField(
                choices=DerivationRule.choices, initial=decision.rule,
                label=_("Cách đưa nhiệm vụ %(number)s vào kế hoạch") % {"number": decision.number or "—"},
            )

    @staticmethod
    def field_name(decision) -> str:
        return f"rule-{decision.task_id}"

    def rows(self):
        """What the template shows per task: the decision, its default rule's label, the reason
        in the page's language, and the bound field."""
        return [{"decision": decision, "default": DerivationRule(decision.rule).label,
                 "reason": in_language(decision.reason_vi, decision.reason_en), "field": self[self.field_name(decision)]}
                for decision in self.decisions]

    def overrides(self) -> dict[int, str]:
        """Only the rules changed from their default: the service applies the defaults itself."""
        return {decision.task_id: self.cleaned_data[self.field_name(decision)] for decision in self.decisions
                if self.cleaned_data[self.field_name(decision)] != decision.rule}


class SubtreeForm(forms.Form):
    """The source plan of a subtree job, among ``subtree_sources`` (the template lists them)."""

    plan = forms.ModelChoiceField(queryset=PlanDocument.objects.none(), to_field_name="uuid",
                                  label=gettext_lazy("Kế hoạch nguồn"))

    def __init__(self, sources, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = sources


class DeriveAccessMixin(UnitViewMixin, UserPassesTestMixin):
    """Only users who may derive plans for the URL's unit (the service's ``can_derive``); others
    get 403, and a unit the user cannot see at all is the usual 404."""

    def test_func(self):
        return can_derive(self.request.user, self.unit)


class DeriveView(DeriveAccessMixin, TemplateView):
    """GET: the plans above that the unit can derive from; for the chosen one, every task with its
    default rule and the reason, to override per task. POST: the unit's draft, then its page."""

    template_name = "plans/derive.html"

    @staticmethod
    def chosen(sources, uuid):
        """The plan asked for among ``sources`` (404 when it is not one), else the nearest."""
        if uuid:
            for plan in sources:
                if str(plan.uuid) == str(uuid):
                    return plan
            raise Http404(uuid)
        return sources[0] if sources else None

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        user, unit = self.request.user, self.unit
        sources = list(plans_above(user, unit))
        chosen = form.plan if form is not None else self.chosen(sources, self.request.GET.get("plan"))
        own_derived = list(plans_concerning(user, unit).filter(unit=unit, parent_plan__isnull=False)
                           .order_by("-created_at"))
        derived = {plan.parent_plan_id: plan for plan in own_derived}
        if chosen is not None and chosen.pk not in derived and form is None:
            form = DerivationRulesForm(chosen, unit)
        has_subtree = unit.get_descendant_count() > 0
        context.update(
            sources=[(plan, derived.get(plan.pk), plan.unit_id == unit.parent_id) for plan in sources],
            chosen=chosen, existing=derived.get(chosen.pk) if chosen else None, form=form, own_derived=own_derived,
            has_subtree=has_subtree, subtree_sources=list(subtree_sources(user, unit)) if has_subtree else [],
            jobs=DerivationJob.objects.restrict(user).filter(root_unit=unit).select_related("source_plan__unit")[:RECENT_JOBS],
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.POST.get("plan"):
            raise Http404("plan")
        chosen = self.chosen(list(plans_above(request.user, self.unit)), request.POST["plan"])
        form = DerivationRulesForm(chosen, self.unit, request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            plan = derive_plan(chosen, self.unit, rules=form.overrides(), actor=request.user)
        except DerivationError as error:
            if error.existing is not None:
                messages.warning(request, format_html(
                    '{} <a href="{}">{}</a>', in_language(error.message_vi, error.message_en),
                    reverse("plan-detail", kwargs={"code": self.unit.code, "uuid": error.existing.uuid}),
                    _("Mở kế hoạch đã có")))
            else:
                messages.error(request, in_language(error.message_vi, error.message_en))
            return redirect(f"{reverse('plan-derive', kwargs={'code': self.unit.code})}?plan={chosen.uuid}")
        messages.success(request, _("Đã tạo dự thảo kế hoạch của đơn vị từ kế hoạch cấp trên."))
        return redirect("plan-detail", code=self.unit.code, uuid=plan.uuid)


class SubtreeDeriveView(DeriveAccessMixin, View):
    """POST: start the job that derives drafts for every unit below (the request only starts it)."""

    def post(self, request, *args, **kwargs):
        form = SubtreeForm(subtree_sources(request.user, self.unit), request.POST)
        if not form.is_valid():
            messages.error(request, _("Hãy chọn một kế hoạch đã ban hành làm nguồn."))
            return redirect("plan-derive", code=self.unit.code)
        try:
            job = start_subtree_derivation(form.cleaned_data["plan"], self.unit, request.user)
        except PermissionError as error:
            raise PermissionDenied(str(error)) from error
        except DerivationError as error:
            messages.error(request, in_language(error.message_vi, error.message_en))
            return redirect("plan-derive", code=self.unit.code)
        return redirect("derivation-job", code=self.unit.code, uuid=job.uuid)


# -- the job's progress -------------------------------------------------------------------------------------
class JobView(UnitViewMixin, TemplateView):
    """A job of the URL's unit (its subtree's derivation), read through the restriction. The
    partial (``partial = True``) is the progress fragment alone, which htmx polls while it runs."""

    template_name = "plans/derive_job.html"
    partial = False

    def get_template_names(self):
        return ["plans/_job_progress.html"] if self.partial else [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = (DerivationJob.objects.restrict(self.request.user).select_related("source_plan__unit")
               .filter(uuid=self.kwargs["uuid"], root_unit=self.unit).first())
        if job is None:
            raise Http404(str(self.kwargs["uuid"]))
        context.update(job=job, running=job.status in (DerivationJob.Status.QUEUED, DerivationJob.Status.RUNNING),
                       may_retry=job.status == DerivationJob.Status.FAILED and can_derive(self.request.user, self.unit))
        return context
