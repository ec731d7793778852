"""Forms of the report pages.

They only carry what was typed: the rules (percent 0-100, a reason for "not done", counts, file
types, who may act) live in the services, whose refusals (``ReviewError``, Vietnamese and English)
the views put back on the form with what the user typed kept.
"""
from django import forms
from django.utils.translation import gettext_lazy as _

from mttq_platform.templatetags.mttq import localized_name
from reviews.models import ProgressStatus
from reviews.services.errors import ReviewError


class ReviewErrorMixin:
    def add_refusal(self, text: str) -> None:
        """A refusal shown above the form. An action that posts no field (removing a file) answers
        with an unbound form, which Django's add_error cannot take until it has cleaned data."""
        if not self.is_bound:
            self.cleaned_data = {}
        self.add_error(None, text)

    def add_review_error(self, error: ReviewError) -> None:
        """A service's refusal, shown above the form in both languages."""
        self.add_refusal(f"{error.message_vi} ({error.message_en})")


class ProgressForm(ReviewErrorMixin, forms.Form):
    """One progress row (a task in one period), saved inline. Each row's fields carry its own
    prefix so that many rows can sit on one page."""

    status = forms.ChoiceField(label=_("Tình trạng"), choices=ProgressStatus.choices)
    percent = forms.CharField(
        label=_("Tỷ lệ (%)"), required=False, max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 4, "pattern": "[0-9]*"}),
        help_text=_("Khi đang thực hiện: 0–100."),
    )
    narrative = forms.CharField(label=_("Kết quả thực hiện"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(
        label=_("Lý do chưa hoàn thành"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc khi không hoàn thành."),
    )

    def __init__(self, *args, progress=None, **kwargs):
        kwargs.setdefault("prefix", f"p{progress.pk}")
        if progress is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "status": progress.status, "percent": "" if progress.percent is None else progress.percent,
                "narrative": progress.narrative, "reason": progress.reason,
            }
        super().__init__(*args, **kwargs)


class IndicatorsForm(ReviewErrorMixin, forms.Form):
    """The year's indicator values, one field per indicator of the catalogue (kept as data)."""

    def __init__(self, *args, indicators=(), values=None, **kwargs):
        values = values or {}
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[indicator.code] = forms.CharField(
                label=localized_name(indicator), required=False, max_length=12, initial=values.get(indicator.code, ""),
                help_text=indicator.measure_unit,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8, "pattern": "[0-9]*"}),
            )

    def rows(self):
        """(indicator, bound field) in catalogue order, for the table."""
        return [(indicator, self[indicator.code]) for indicator in self.indicators]

    def values(self) -> dict[str, str]:
        return {code: value for code, value in self.cleaned_data.items()}


class EvidenceForm(ReviewErrorMixin, forms.Form):
    file = forms.FileField(label=_("Tệp minh chứng"), help_text=_("PDF, ảnh, Word hoặc Excel; dung lượng có giới hạn."))
    description = forms.CharField(label=_("Mô tả"), required=False, max_length=255)

    def __init__(self, *args, progress=None, **kwargs):
        if progress is not None:
            kwargs.setdefault("prefix", f"e{progress.pk}")
        super().__init__(*args, **kwargs)


class SummaryForm(ReviewErrorMixin, forms.Form):
    summary = forms.CharField(label=_("Tóm tắt kết quả"), required=False, widget=forms.Textarea(attrs={"rows": 5}))


class CommentForm(ReviewErrorMixin, forms.Form):
    """The comment of an approval step; required where the step must say why (return, reopen, waive)."""

    comment = forms.CharField(label=_("Ý kiến"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = required
        if required:
            self.fields["comment"].error_messages["required"] = _(
                "Cần ghi ý kiến (lý do). / A comment is required."
            )
