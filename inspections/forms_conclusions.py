"""Plain forms of the findings, the conclusion with its recommendation rows, answers and decisions:
they work from a phone without JavaScript."""
from django import forms
from django.utils.translation import gettext_lazy as _

from inspections.models import Inspection
from inspections.services.conclusions import RecommendationInput
from orgtree.models import OrgUnit

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FindingsForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["findings", "internal_notes", "assessment", "assessment_text"]
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in ("findings", "internal_notes", "assessment_text")}


class ConclusionForm(forms.Form):
    number = forms.CharField(label=_("Số"), max_length=20, required=False)
    symbol = forms.CharField(label=_("Ký hiệu"), max_length=60, required=False, initial="KL-MTTQ-BTT")
    date = forms.DateField(label=_("Ngày kết luận"), widget=DATE_INPUT)
    text = forms.CharField(label=_("Nội dung kết luận"), widget=forms.Textarea(attrs={"rows": 8}))


class RecommendationRowForm(forms.Form):
    """One recommendation; a row left wholly blank is ignored."""

    text = forms.CharField(label=_("Nội dung kiến nghị"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    responsible = forms.CharField(label=_("Đơn vị, người chịu trách nhiệm"), max_length=255, required=False)
    responsible_unit = forms.ModelChoiceField(label=_("Đơn vị trong hệ thống (nếu có)"), queryset=OrgUnit.objects.none(),
                                              required=False)
    deadline = forms.DateField(label=_("Thời hạn"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, inspected: OrgUnit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if inspected is not None:
            self.fields["responsible_unit"].queryset = OrgUnit.objects.filter(
                tree_id=inspected.tree_id, lft__gte=inspected.lft, lft__lte=inspected.rght).order_by("lft")

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any((data.get("text", "").strip(), data.get("responsible", "").strip(),
                        data.get("responsible_unit"), data.get("deadline")))

    def as_input(self) -> RecommendationInput:
        data = self.cleaned_data
        return RecommendationInput(text=data["text"], responsible=data["responsible"], deadline=data["deadline"],
                                   responsible_unit=data["responsible_unit"])


RecommendationFormSet = forms.formset_factory(RecommendationRowForm, extra=5, max_num=50)


def recommendation_formset(inspected, data=None):
    return RecommendationFormSet(data, prefix="rec", form_kwargs={"inspected": inspected})


def recommendation_inputs(formset) -> list[RecommendationInput]:
    return [form.as_input() for form in formset.forms if form.cleaned_data and not form.is_blank()]


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Kết quả thực hiện"), widget=forms.Textarea(attrs={"rows": 5}))
    file = forms.FileField(label=_("Tài liệu minh chứng (PDF, ảnh, Word, Excel)"), required=False)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Ý kiến của trưởng đoàn"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
