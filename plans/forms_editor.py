"""Forms of the plan editor and of sending guidance down the tree."""
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mttq_platform.templatetags.mttq import localized_name
from orgtree.models import Level, UnitKind
from plans.models import PlanDocument
from plans.services.editing import TaskInput, split_written

PARTY_HELP = _("Mỗi dòng một đơn vị, hoặc ngăn cách bằng dấu “;”.")


def _lines(value: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in value.splitlines() if line.strip())


class PlanHeaderForm(forms.ModelForm):
    """The header and signer of a draft: what the plan says about itself."""

    class Meta:
        model = PlanDocument
        fields = ["title", "number", "symbol", "place", "date", "signer_on_behalf", "signer_title", "signer_name"]
        widgets = {
            "title": forms.Textarea(attrs={"rows": 2}),
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        error_messages = {"title": {"required": _("Trích yếu không được để trống.")}}


class TaskForm(forms.Form):
    """One task as typed. Field ids carry the row's key (``auto_id``), so that several forms on
    the editor page never share an id; the field names stay plain."""

    number = forms.CharField(label=_("Số"), max_length=20, required=False, widget=forms.TextInput(attrs={"size": 6}))
    text = forms.CharField(
        label=_("Nội dung nhiệm vụ"), widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Nội dung nhiệm vụ không được để trống.")},
    )
    timeframe_text = forms.CharField(
        label=_("Thời gian thực hiện"), required=False,
        help_text=_("Ghi như trong văn bản, ví dụ: Quý IV hàng năm; Năm 2025; Thường xuyên."),
    )
    leads = forms.CharField(label=_("Cơ quan chủ trì"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=PARTY_HELP)
    coordinators = forms.CharField(
        label=_("Cơ quan phối hợp"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=PARTY_HELP,
    )
    steps = forms.CharField(
        label=_("Các bước"), required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Mỗi dòng một bước."),
    )
    output = forms.CharField(label=_("Kết quả, sản phẩm"), required=False, widget=forms.Textarea(attrs={"rows": 1}))

    def __init__(self, *args, key: str = "new", values: TaskInput | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"task-{key}-%s")
        if values is not None:
            kwargs.setdefault("initial", self.initial_of(values))
        super().__init__(*args, **kwargs)
        self.key = key

    @staticmethod
    def initial_of(values: TaskInput) -> dict:
        return {
            "number": values.number, "text": values.text, "timeframe_text": values.timeframe_text,
            "leads": "\n".join(values.leads), "coordinators": "\n".join(values.coordinators),
            "steps": "\n".join(values.steps), "output": values.output,
        }

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(self.fields["text"].error_messages["required"], code="required")
        return text

    def to_input(self) -> TaskInput:
        data = self.cleaned_data
        return TaskInput(
            text=data["text"], number=data["number"].strip(), timeframe_text=" ".join(data["timeframe_text"].split()),
            leads=split_written(data["leads"]), coordinators=split_written(data["coordinators"]),
            steps=_lines(data["steps"]), output=data["output"].strip(),
        )


class AmendmentIssueForm(forms.Form):
    note = forms.CharField(
        label=_("Nội dung sửa đổi, bổ sung"), widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Gửi kèm đến các đơn vị có kế hoạch xây dựng trên cơ sở kế hoạch này."),
        error_messages={"required": _("Hãy ghi nội dung sửa đổi, bổ sung.")},
    )
    due_date = forms.DateField(
        label=_("Hạn thực hiện"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class LocalizedChoices(forms.ModelMultipleChoiceField):
    """Reference rows (levels, unit kinds) named in the page's language."""

    def label_from_instance(self, obj):
        return localized_name(obj)


class SendGuidanceForm(forms.Form):
    """To whom below the sender an issued document goes: every unit of the subtree, or only the
    chosen levels and kinds."""

    levels = LocalizedChoices(
        label=_("Gửi các cấp"), queryset=Level.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Để trống: gửi tất cả các cấp dưới."),
    )
    kinds = LocalizedChoices(
        label=_("Gửi loại đơn vị"), queryset=UnitKind.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Để trống: gửi mọi loại đơn vị."),
    )
    due_date = forms.DateField(
        label=_("Hạn thực hiện"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, sender, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what lies below the sender can be addressed.
        rank = sender.level.rank if sender.level_id else -1
        self.fields["levels"].queryset = Level.objects.filter(rank__gt=rank)
        self.fields["kinds"].queryset = UnitKind.objects.filter(Q(level__isnull=True) | Q(level__rank__gt=rank)).select_related("level")
