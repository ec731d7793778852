"""Which unit a request acts for.

Pages live under ``/u/<unit-code>/``; the unit must be one the user belongs to or one below it
(or one an explicit grant opens), decided by the one restriction. Units above the user's are
readable as names in lists, but nobody acts for them. An unknown code
and an invisible one give the same 404, so codes of other units cannot be probed.
"""
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404

from mttq_platform.permissions import READ


def resolve_unit(request, code: str, action: str = READ):
    OrgUnit = apps.get_model("orgtree", "OrgUnit")
    unit = (
        OrgUnit.objects.restrict(request.user, action, with_extra=False)
        .select_related("kind", "level", "parent", "code_set")
        .filter(code=code)
        .first()
    )
    if unit is None:
        raise Http404(code)
    return unit


def user_memberships(request):
    """The user's memberships (unit and role), loaded once per request for the switcher."""
    if not hasattr(request, "_memberships"):
        Membership = apps.get_model("orgtree", "Membership")
        user = getattr(request, "user", None)
        request._memberships = (
            list(Membership.objects.filter(user=user).select_related("unit", "role").order_by("unit__tree_id", "unit__lft"))
            if user is not None and user.is_authenticated
            else []
        )
    return request._memberships


def memberships_context(request):
    return {"my_memberships": lambda: user_memberships(request)}


class UnitViewMixin(LoginRequiredMixin):
    """Base of every page under /u/<code>/: sets ``self.unit`` or answers 404."""

    unit_action = READ

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.unit = resolve_unit(request, kwargs["code"], self.unit_action)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unit"] = self.unit
        return context
