"""Forms of comment rounds: opening a round, a comment, the meeting, a decision."""
import re

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgtree.models import OrgUnit
from plans.models import OutsideBody
from reviews.models import CommentRoundMode, Disposition


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, unit):
        return f"{unit.name} ({unit.code})"


class CommentRoundForm(forms.Form):
    mode = forms.ChoiceField(label=_("Hình thức"), choices=CommentRoundMode.choices, widget=forms.RadioSelect,
                             initial=CommentRoundMode.WRITING)
    title = forms.CharField(label=_("Tiêu đề"), max_length=255)
    deadline = forms.DateField(label=_("Hạn góp ý"), widget=DateInput())
    units = UnitChoiceField(
        label=_("Đơn vị được lấy ý kiến"), queryset=OrgUnit.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tổ chức thành viên, đơn vị cấp dưới và cấp trên trực tiếp."),
    )
    other_units = forms.CharField(
        label=_("Đơn vị khác (mã đơn vị)"), required=False,
        help_text=_("Mã các đơn vị khác mà bạn được xem, cách nhau bởi dấu phẩy. Ví dụ: 094, 095"),
    )
    outside_bodies = forms.ModelMultipleChoiceField(
        label=_("Cơ quan ngoài Mặt trận"), queryset=OutsideBody.objects.all(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    new_bodies = forms.CharField(
        label=_("Cơ quan khác (mỗi dòng một cơ quan)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ví dụ: Thường trực HĐND tỉnh"),
    )
    meeting_at = forms.DateTimeField(label=_("Thời gian hội nghị"), required=False, widget=DateTimeInput())
    meeting_place = forms.CharField(label=_("Địa điểm hội nghị"), max_length=255, required=False)

    def __init__(self, *args, user, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The usual parties: the unit's member organizations and children, and its parent.
        self.fields["units"].queryset = (
            OrgUnit.objects.restrict(user).filter(Q(parent=unit) | Q(pk=unit.parent_id))
            .select_related("kind").order_by("tree_id", "lft")
        )

    def clean_other_units(self):
        codes = [code for code in re.split(r"[\s,;]+", self.cleaned_data["other_units"]) if code]
        found = list(OrgUnit.objects.restrict(self.user).filter(code__in=codes))
        missing = sorted(set(codes) - {unit.code for unit in found})
        if missing:
            raise forms.ValidationError(
                _("Không tìm thấy đơn vị có mã %(codes)s, hoặc bạn không được xem. / Unknown unit code(s): %(codes)s."),
                params={"codes": ", ".join(missing)},
            )
        return found

    def clean_new_bodies(self):
        return [line.strip() for line in self.cleaned_data["new_bodies"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if data.get("mode") == CommentRoundMode.CONFERENCE and not data.get("meeting_at") and data.get("meeting_place"):
            self.add_error("meeting_at", _("Cần nhập thời gian hội nghị. / The meeting needs a date and time."))
        return data


class CommentForm(forms.Form):
    party = forms.TypedChoiceField(label=_("Bên góp ý"), coerce=int)
    text = forms.CharField(label=_("Ý kiến góp ý"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.parties = {party.pk: party for party in parties}
        self.fields["party"].choices = [(party.pk, str(party)) for party in parties]
        if len(parties) == 1:
            self.fields["party"].widget = forms.HiddenInput()
            self.fields["party"].initial = parties[0].pk

    def clean_party(self):
        return self.parties[self.cleaned_data["party"]]


class MeetingForm(forms.Form):
    meeting_at = forms.DateTimeField(label=_("Thời gian hội nghị"), widget=DateTimeInput())
    meeting_place = forms.CharField(label=_("Địa điểm"), max_length=255, required=False)
    minutes = forms.CharField(label=_("Biên bản hội nghị"), required=False, widget=forms.Textarea(attrs={"rows": 5}))


class DecisionForm(forms.Form):
    disposition = forms.ChoiceField(
        label=_("Xử lý"), widget=forms.RadioSelect,
        choices=[(Disposition.TAKEN, Disposition.TAKEN.label), (Disposition.EXPLAINED, Disposition.EXPLAINED.label)],
    )
    response = forms.CharField(label=_("Nội dung tiếp thu, giải trình"), widget=forms.Textarea(attrs={"rows": 2}))
