"""The members page of a unit, /u/<code>/members/: who holds which role since when, read by whoever
may act for the unit; and, for those who manage it (``orgtree.services.manages``), adding a member
(an existing account or a new one, whose one-time password shows once), changing a role, removing a
membership and, on an ended unit, carrying a membership over to a successor.

Every change goes through ``orgtree.services_members``, which re-checks the permission in its
transaction; its refusals show in Vietnamese and English, what was typed kept. The page costs the
same queries for one member as for twenty (tests/orgtree/test_members_pages.py).
"""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _, gettext_lazy
from django.views.generic import TemplateView

from mttq_platform.permissions import READ
from mttq_platform.templatetags.mttq import localized_name
from mttq_platform.tenancy import UnitViewMixin
from orgtree import services_members as service
from orgtree.models import Membership, Role
from orgtree.services import manages, units_managed_by


class RoleField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return localized_name(obj)


class AddMemberForm(forms.Form):
    """One form for both ways of adding: ``new_account`` (a hidden field) says which."""

    username = forms.CharField(label=gettext_lazy("Tên đăng nhập"), max_length=150)
    full_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=300, required=False)
    # No role chosen in advance: a slip must not make someone a chair.
    role = RoleField(label=gettext_lazy("Vai trò"), queryset=Role.objects.all(), empty_label=gettext_lazy("— Chọn vai trò —"))
    title = forms.CharField(label=gettext_lazy("Chức danh"), max_length=150, required=False)
    new_account = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RoleForm(forms.Form):
    role = RoleField(queryset=Role.objects.all())


class MembersView(UnitViewMixin, TemplateView):
    template_name = "orgtree/members.html"
    unit_action = READ
    forms: dict = {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, unit = self.request.user, self.unit
        may_manage = manages(user, unit)
        ended = unit.has_ended
        context.update(
            members=list(Membership.objects.restrict(user).filter(unit=unit).select_related("user", "role")
                         .order_by("role_id", "user__last_name", "user__username")),
            may_manage=may_manage,
            ended=ended,
        )
        if may_manage:
            context.update(
                roles=list(Role.objects.all()),
                # Only successors the user also manages: the carry-over writes there.
                successors=list(units_managed_by(user).filter(predecessor_links__predecessor=unit).order_by("code"))
                if ended else [],
                existing_form=AddMemberForm(prefix="existing"),
                new_form=AddMemberForm(prefix="new", initial={"new_account": True}),
            )
        context.update(self.forms)  # what was typed into a refused form, kept
        return context


class MemberActionView(MembersView):
    """POST actions: each checks that the user manages the unit, runs one service call and comes
    back to the members page (or shows it again with the refusal)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not manages(request.user, self.unit):
            raise PermissionDenied
        try:
            return self.act()
        except service.MembershipError as error:
            messages.error(request, error.text)
            return self.render_to_response(self.get_context_data(), status=400)

    def act(self):
        raise NotImplementedError

    def membership(self) -> Membership:
        found = (Membership.objects.restrict(self.request.user).select_related("user", "role", "unit")
                 .filter(unit=self.unit, pk=self.kwargs["pk"]).first())
        if found is None:
            raise Http404(str(self.kwargs["pk"]))
        return found

    def invalid(self, **forms):
        messages.error(self.request, _("Vui lòng kiểm tra lại thông tin đã nhập. / Please check what you entered."))
        self.forms = forms
        return self.render_to_response(self.get_context_data(), status=400)

    def done(self, message: str):
        messages.success(self.request, message)
        return redirect("unit-members", code=self.unit.code)


class AddMemberView(MemberActionView):
    def act(self):
        new_account = self.request.POST.get("new-new_account") == "True"
        key, prefix = ("new_form", "new") if new_account else ("existing_form", "existing")
        form = AddMemberForm(self.request.POST, prefix=prefix)
        if not form.is_valid():
            return self.invalid(**{key: form})
        self.forms = {key: form}
        data = form.cleaned_data
        membership, password = service.add_member(
            self.unit, user=self.request.user, role=data["role"], username=data["username"],
            full_name=data["full_name"], new_account=new_account, title=data["title"])
        if password is None:
            return self.done(_("Đã thêm %(user)s vào đơn vị.") % {"user": membership.user.get_username()})
        # The password shows on this answer only: it is not kept anywhere but as a hash.
        messages.success(self.request, _("Đã tạo tài khoản %(user)s và thêm vào đơn vị.") % {"user": membership.user.get_username()})
        self.forms = {}
        response = self.render_to_response(self.get_context_data(new_account=membership.user, password=password))
        add_never_cache_headers(response)
        return response


class ChangeRoleView(MemberActionView):
    def act(self):
        membership = self.membership()
        form = RoleForm(self.request.POST)
        if not form.is_valid():
            return self.invalid()
        service.change_role(membership, user=self.request.user, role=form.cleaned_data["role"])
        return self.done(_("Đã đổi vai trò của %(user)s.") % {"user": membership.user.get_username()})


class RemoveMemberView(MemberActionView):
    """The first POST asks for confirmation; the second (``confirm=yes``) removes."""

    def act(self):
        membership = self.membership()
        if self.request.POST.get("confirm") != "yes":
            self.template_name = "orgtree/member_remove.html"
            return self.render_to_response(self.get_context_data(membership=membership))
        service.remove_member(membership, user=self.request.user)
        return self.done(_("Đã bỏ %(user)s khỏi đơn vị.") % {"user": membership.user.get_username()})


class CarryOverView(MemberActionView):
    def act(self):
        membership = self.membership()
        successor = units_managed_by(self.request.user).filter(
            predecessor_links__predecessor=self.unit, code=self.request.POST.get("successor", "")).first()
        if successor is None:
            return self.invalid()
        service.carry_over(membership, successor, user=self.request.user)
        return self.done(_("Đã chuyển %(user)s sang %(unit)s với cùng vai trò.")
                         % {"user": membership.user.get_username(), "unit": successor.name})
