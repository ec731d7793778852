"""The checklist of one inspection, filled from a phone: /u/<code>/inspections/<uuid>/checklist/.

Which unit the address names: the inspecting unit (its staff and the team) or the inspected unit
(or a unit above it), as on the conclusion pages. The code is resolved as ``UnitViewMixin`` does (a
unit the user acts for) with one widening: a team member may come from a member organization or
another unit and hold no membership at the inspecting unit, yet must reach the checklist under the
inspecting unit's code; for them the code may name the inspecting unit of an inspection whose team
they are on. Either way the inspection is read through ``Inspection.objects.restrict(user)`` and
must belong to that unit; an unknown code, an invisible inspection or one of another unit is the
same 404. Writes go through the services, which ask
``rules.can_fill_checklist``; what the inspected side sees of the team's results, notes and files
before the conclusion is decided by ``rules.sees_internal``.

Every form works without JavaScript (a POST answers with a redirect, or the page with the form's
errors); with htmx one item is saved in place and its card comes back. A stale save shows what the
user typed AND what is saved now, with who saved it.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _, gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from inspections.models import ChecklistEvidence, ChecklistItem, ChecklistResult, Inspection
from inspections.services import checklists as checklist_service, rules
from inspections.views_conclusions import error_text, for_unit_q
from orgtree.models import OrgUnit
from reviews.forms import ReviewErrorMixin
from reviews.services.errors import ReviewError
from reviews.views_evidence import private_file_response


class ChecklistItemForm(forms.Form):
    """One item: result, note, and the version the form was read at. Prefixed per item, so that
    every card of the page carries its own form."""

    result = forms.ChoiceField(label=gettext_lazy("Kết quả"), choices=ChecklistResult.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=gettext_lazy("Ghi chú của đoàn"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=checklist_service.NOTE_MAX)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def for_item(cls, item: ChecklistItem, data=None):
        return cls(data, prefix=f"item-{item.pk}",
                   initial={"result": item.result, "note": item.note, "version": item.version})


class ChecklistEvidenceForm(ReviewErrorMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp minh chứng (PDF, ảnh, Word, Excel)"))

    @classmethod
    def for_item(cls, item: ChecklistItem, data=None, files=None):
        return cls(data, files, prefix=f"evidence-{item.pk}")


@dataclass
class Card:
    item: ChecklistItem
    evidence: list = field(default_factory=list)  # [(ChecklistEvidence, url)]
    form: ChecklistItemForm | None = None
    evidence_form: ChecklistEvidenceForm | None = None
    stale: ChecklistItem | None = None  # the item as saved, when this user's save was refused as stale
    saved: bool = False

    @property
    def anchor(self) -> str:
        return f"item-{self.item.pk}"


def checklist_items(user, inspection: Inspection, *, internal: bool):
    """The inspection's items through the restriction; their evidence only for who sees the team's work."""
    queryset = (
        ChecklistItem.objects.restrict(user).filter(inspection=inspection)
        .select_related("updated_by", "task__document__unit").order_by("order", "pk")
    )
    if internal:
        queryset = queryset.prefetch_related(
            Prefetch("evidence", queryset=ChecklistEvidence.objects.restrict(user).order_by("uploaded_at", "pk")))
    return queryset


class ChecklistMixin(LoginRequiredMixin):
    """Sets ``self.unit`` (the unit the code names) and ``self.inspection`` (read through the
    restriction, belonging to that unit) or answers 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            user, code = request.user, kwargs["code"]
            # A unit the user acts for (as UnitViewMixin resolves it) ...
            self.unit = OrgUnit.objects.restrict(user, with_extra=False).filter(code=code).first()
            as_team_member = self.unit is None
            if as_team_member:  # ... or, for a team member from elsewhere, the inspecting unit.
                self.unit = OrgUnit.objects.filter(code=code).first()
            inspection = None
            if self.unit is not None:
                inspection = (
                    Inspection.objects.restrict(user).select_related("plan__unit", "unit", "team")
                    .filter(for_unit_q(self.unit), uuid=kwargs["uuid"]).first()
                )
            if inspection is not None and as_team_member and not (
                inspection.plan.unit_id == self.unit.pk and rules.is_team_member(user, inspection)
            ):
                inspection = None
            if inspection is None:
                raise Http404(kwargs["uuid"])
            self.inspection = inspection
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def can_fill(self) -> bool:
        return rules.can_fill_checklist(self.request.user, self.inspection)

    @cached_property
    def sees_internal(self) -> bool:
        return rules.sees_internal(self.request.user, self.inspection)

    def page_url(self, anchor: str = "") -> str:
        url = reverse("inspection-checklist", kwargs={"code": self.unit.code, "uuid": self.inspection.uuid})
        return f"{url}#{anchor}" if anchor else url

    def evidence_url(self, evidence: ChecklistEvidence) -> str:
        return reverse("inspection-checklist-evidence-download",
                       kwargs={"code": self.unit.code, "uuid": self.inspection.uuid, "evidence": evidence.uuid})

    def make_card(self, item: ChecklistItem, *, form=None, evidence_form=None, stale=None, saved=False) -> Card:
        card = Card(item=item, stale=stale, saved=saved)
        if self.sees_internal:
            card.evidence = [(e, self.evidence_url(e)) for e in item.evidence.all()]
        # A refused form comes back even to who may no longer write (the inspection was concluded
        # meanwhile): what they typed is shown with the reason, not dropped.
        if self.can_fill or form is not None:
            card.form = form or ChecklistItemForm.for_item(item)
        if self.can_fill or evidence_form is not None:
            card.evidence_form = evidence_form or ChecklistEvidenceForm.for_item(item)
        return card

    def base_context(self, **extra) -> dict:
        return {"unit": self.unit, "inspection": self.inspection, "can_fill": self.can_fill,
                "sees_internal": self.sees_internal, **extra}


class ChecklistView(ChecklistMixin, TemplateView):
    """The checklist, grouped by source and group; plan items show what the unit reported."""

    template_name = "inspections/checklists/page.html"

    def get_context_data(self, cards: dict | None = None, **kwargs):
        context = super().get_context_data(**kwargs)
        cards = cards or {}
        groups: OrderedDict = OrderedDict()
        counts = {value: 0 for value in ChecklistResult.values}
        items = list(checklist_items(self.request.user, self.inspection, internal=self.sees_internal))
        for item in items:
            card = cards.get(item.pk) or self.make_card(item)
            key = (item.source, item.group)
            if key not in groups:
                groups[key] = {"source": item.get_source_display(), "group": item.group, "cards": []}
            groups[key]["cards"].append(card)
            counts[item.result] += 1
        context.update(self.base_context(
            groups=list(groups.values()), total=len(items),
            counts=[(label, counts[value]) for value, label in ChecklistResult.choices] if self.sees_internal else [],
            generate_url=reverse("inspection-checklist-generate",
                                 kwargs={"code": self.unit.code, "uuid": self.inspection.uuid}),
        ))
        return context


class GenerateView(ChecklistMixin, View):
    """POST: generate the checklist, or add what it is missing (regeneration keeps what was recorded)."""

    def post(self, request, *args, **kwargs):
        try:
            generated = checklist_service.generate_checklist(self.inspection, user=request.user)
        except ReviewError as error:
            messages.error(request, error_text(error))
        else:
            if generated.plan is None:
                messages.warning(request, _("Không tìm thấy kế hoạch của đơn vị được xây dựng từ kế hoạch của đơn vị kiểm tra; "
                                            "danh mục chỉ gồm các nội dung theo mẫu."))
            messages.success(request, _("Đã thêm %(added)s mục kiểm tra (giữ nguyên %(kept)s mục đã có).")
                             % {"added": generated.added, "kept": generated.kept})
        return redirect(self.page_url())


class ItemMixin(ChecklistMixin):
    def get_item(self) -> ChecklistItem:
        item = checklist_items(self.request.user, self.inspection, internal=self.sees_internal) \
            .filter(pk=self.kwargs["pk"]).first()
        if item is None:
            raise Http404(self.kwargs["pk"])
        return item

    def answer(self, item: ChecklistItem, *, form=None, evidence_form=None, stale=None) -> HttpResponse:
        failed = bool((form is not None and form.errors) or (evidence_form is not None and evidence_form.errors))
        if not self.request.htmx and not failed:
            messages.success(self.request, _("Đã lưu."))
            return redirect(self.page_url(f"item-{item.pk}"))
        fresh = self.get_item()  # as saved now, with its evidence
        card = self.make_card(fresh, form=form if failed else None, evidence_form=evidence_form if failed else None,
                              stale=stale, saved=not failed)
        if not self.request.htmx:
            view = ChecklistView(request=self.request, args=(), kwargs=self.kwargs)
            view.unit, view.inspection = self.unit, self.inspection
            context = view.get_context_data(cards={fresh.pk: card})
            return HttpResponse(render_to_string(ChecklistView.template_name, context, request=self.request))
        html = render_to_string("inspections/checklists/_card.html", self.base_context(card=card), request=self.request)
        return HttpResponse(html)


class ItemView(ItemMixin, View):
    """GET: one card (htmx). POST: record the result through ``record_result``; a stale form comes
    back with what was typed (now carrying the current version, so that saving again is a
    deliberate overwrite) next to the values saved meanwhile."""

    def get(self, request, *args, **kwargs):
        item = self.get_item()
        if not request.htmx:
            return redirect(self.page_url(f"item-{item.pk}"))
        return HttpResponse(render_to_string("inspections/checklists/_card.html",
                                             self.base_context(card=self.make_card(item)), request=request))

    def post(self, request, *args, **kwargs):
        item = self.get_item()
        form = ChecklistItemForm.for_item(item, request.POST)
        stale = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                checklist_service.record_result(item, user=request.user, result=data["result"], note=data["note"],
                                                version=data["version"])
            except checklist_service.StaleChecklistItem as error:
                stale = error.current
                typed = request.POST.copy()
                typed[form.add_prefix("version")] = str(stale.version)
                form = ChecklistItemForm.for_item(item, typed)
                form.is_valid()
                form.add_error(None, error_text(error))
            except ReviewError as error:
                form.add_error(None, error_text(error))
        return self.answer(item, form=form, stale=stale)


class EvidenceUploadView(ItemMixin, View):
    """POST: attach a file to an item (type checked by content, size limited)."""

    def post(self, request, *args, **kwargs):
        item = self.get_item()
        form = ChecklistEvidenceForm.for_item(item, request.POST, request.FILES)
        if form.is_valid():
            try:
                checklist_service.attach_checklist_evidence(item, form.cleaned_data["file"], user=request.user)
            except ReviewError as error:
                form.add_error(None, error_text(error))
        return self.answer(item, evidence_form=form)


class EvidenceRemoveView(ItemMixin, View):
    """POST: remove one evidence file of an item (the same people and time as an upload)."""

    def post(self, request, *args, **kwargs):
        item = self.get_item()
        evidence = ChecklistEvidence.objects.restrict(request.user).filter(item=item, uuid=kwargs["evidence"]).first()
        if evidence is None:
            raise Http404(str(kwargs["evidence"]))
        form = ChecklistEvidenceForm.for_item(item)
        try:
            checklist_service.remove_checklist_evidence(evidence, user=request.user)
        except ReviewError as error:
            form.add_refusal(error_text(error))
        return self.answer(item, evidence_form=form if form.errors else None)


class EvidenceDownloadView(ChecklistMixin, View):
    """An item's evidence file: read through the restriction, and only by who sees the team's work
    (the inspected side once the conclusion is issued). Anything else is the same 404."""

    def get(self, request, *args, **kwargs):
        evidence = None
        if self.sees_internal:
            evidence = ChecklistEvidence.objects.restrict(request.user).filter(
                item__inspection=self.inspection, uuid=kwargs["evidence"]).first()
        if evidence is None:
            raise Http404(str(kwargs["evidence"]))
        return private_file_response(evidence)

