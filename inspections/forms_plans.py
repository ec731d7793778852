"""Forms of the inspection plan pages: plain fields that work on a phone; the services decide."""
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from inspections.models import InspectionPlan, Team, TeamRole
from inspections.services.errors import InspectionError
from inspections.services.plans import check_dates
from orgtree.models import OrgUnit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def subtree_choices(user, unit):
    """Units the plan may inspect: below ``unit``, among those the user may read as a tenant."""
    return (OrgUnit.objects.restrict(user, with_extra=False).within(unit).exclude(pk=unit.pk)
            .select_related("kind").order_by("tree_id", "lft"))


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.name}"


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    label_from_instance = UnitChoiceField.label_from_instance


class InspectionPlanForm(forms.ModelForm):
    inspected_units = UnitsChoiceField(queryset=OrgUnit.objects.none(), required=False, label=_("Đơn vị được kiểm tra"),
                                       help_text=_("Chỉ các đơn vị cấp dưới của đơn vị mình. Thời gian mở quyền xem "
                                                   "mặc định là thời gian của kế hoạch; sửa từng đơn vị ở trang kế hoạch."))

    class Meta:
        model = InspectionPlan
        fields = ["number", "symbol", "place", "date", "title", "purpose", "content", "schedule", "start_date", "end_date",
                  "signer_on_behalf", "signer_title", "signer_name"]
        widgets = {"date": DATE, "start_date": DATE, "end_date": DATE,
                   "title": forms.Textarea(attrs={"rows": 2}), "purpose": forms.Textarea(attrs={"rows": 3}),
                   "content": forms.Textarea(attrs={"rows": 4}), "schedule": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, unit, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["inspected_units"]  # units are added one by one on the plan's page
        else:
            self.fields["inspected_units"].queryset = subtree_choices(user, unit)
            self.fields["inspected_units"].widget.attrs["size"] = 8

    def clean(self):
        # The service's own check, so that the message is its bilingual one (and the model's
        # date constraint, on a field with an error, is not checked a second time).
        data = super().clean()
        if data.get("start_date") and data.get("end_date"):
            try:
                check_dates(data["start_date"], data["end_date"], what_vi="thời gian kiểm tra", what_en="plan's period")
            except InspectionError as error:
                self.add_error("end_date", f"{error.message_vi} / {error.message_en}")
        return data

    def plan_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class WindowForm(forms.Form):
    window_start = forms.DateField(label=_("Mở quyền xem từ ngày"), widget=DATE)
    window_end = forms.DateField(label=_("Đến hết ngày"), widget=DATE)


class AddInspectionForm(WindowForm):
    unit = UnitChoiceField(queryset=OrgUnit.objects.none(), label=_("Đơn vị được kiểm tra"))

    def __init__(self, *args, user, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = subtree_choices(user, unit)
        self.order_fields(["unit", "window_start", "window_end"])


class AssignTeamForm(forms.Form):
    team = forms.ChoiceField(required=False, label=_("Đoàn kiểm tra"))

    def __init__(self, *args, teams, **kwargs):
        # The plan's teams, read once for every inspection's form of the page.
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        self.fields["team"].choices = [("", _("(chưa giao đoàn)"))] + [(pk, team.name) for pk, team in self.teams.items()]

    def clean_team(self):
        return self.teams.get(self.cleaned_data["team"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do hủy"), widget=forms.Textarea(attrs={"rows": 2}))


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "decision_number", "decision_symbol", "decision_date", "duties"]
        widgets = {"decision_date": DATE, "duties": forms.Textarea(attrs={"rows": 3})}


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Tên đăng nhập (nếu có tài khoản)"), required=False,
                               help_text=_("Để trống với chuyên gia, cộng tác viên không có tài khoản."))
    name = forms.CharField(label=_("Họ và tên"), max_length=150, required=False)
    title = forms.CharField(label=_("Chức vụ"), max_length=150, required=False)
    organization = forms.CharField(label=_("Cơ quan, đơn vị"), max_length=255, required=False)
    role = forms.ChoiceField(label=_("Vai trò trong đoàn"), choices=TeamRole.choices, initial=TeamRole.MEMBER)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        account = get_user_model().objects.filter(username=username, is_active=True).first()
        if account is None:
            raise forms.ValidationError(_("Không có tài khoản “%(name)s”. / No account named “%(name)s”."),
                                        params={"name": username})
        return account

    def member_fields(self) -> dict:
        data = self.cleaned_data
        return {"account": data["username"], "name": data["name"], "title": data["title"],
                "organization": data["organization"], "role": data["role"]}
