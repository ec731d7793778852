"""Pages of the inbox: what reached a unit from above, the per-change choices of an amendment,
and the sender's follow-up of who has seen and acted."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, View

from mttq_platform.permissions import can
from mttq_platform.tenancy import UnitViewMixin
from plans.models import AmendmentDecision, Dispatch, InboxItem
from plans.services import guidance


class InboxView(UnitViewMixin, ListView):
    template_name = "plans/inbox/list.html"
    context_object_name = "items"
    paginate_by = 50

    def get_queryset(self):
        return (
            InboxItem.objects.restrict(self.request.user)
            .filter(unit=self.unit)
            .select_related("dispatch__document__unit")
            .order_by("state", "-dispatch__sent_at")
        )


class InboxItemMixin(UnitViewMixin):
    def get_item(self):
        return get_object_or_404(
            InboxItem.objects.restrict(self.request.user).select_related("dispatch__document__unit", "plan", "unit"),
            pk=self.kwargs["pk"], unit=self.unit,
        )


class InboxItemView(InboxItemMixin, DetailView):
    template_name = "plans/inbox/item.html"
    context_object_name = "item"

    def get_object(self, queryset=None):
        item = self.get_item()
        self.may_act = can(self.request.user, "change", self.unit)
        if self.may_act:
            guidance.mark_seen(item, self.request.user)  # opening it is seeing it
        return item

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["changes"] = guidance.changes_for(self.object)
        context["may_act"] = self.may_act
        return context


class InboxActionView(InboxItemMixin, View):
    """POST: decide one change (apply/keep), or acknowledge. Answers htmx with the changed row."""

    def post(self, request, *args, **kwargs):
        item = self.get_item()
        try:
            if "change" in request.POST:
                choice = request.POST.get("choice")
                if choice not in AmendmentDecision.Choice.values:
                    raise ValidationError(_("Lựa chọn không hợp lệ. / Unknown choice."))
                guidance.decide(item, request.POST["change"], choice, request.user)
            else:
                guidance.acknowledge(item, request.user)
                messages.success(request, _("Đã xác nhận thực hiện."))
        except PermissionDenied:
            raise
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("inbox-item", code=self.unit.code, pk=item.pk)


class DispatchFollowUpView(UnitViewMixin, DetailView):
    """The sender's view of one sending: every receiving unit, its state, and who is late."""

    template_name = "plans/inbox/follow_up.html"
    context_object_name = "dispatch"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Dispatch.objects.restrict(self.request.user).select_related("document__unit"),
            pk=self.kwargs["pk"], document__unit=self.unit,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        visible = set(InboxItem.objects.restrict(self.request.user).filter(dispatch=self.object).values_list("pk", flat=True))
        rows = [row for row in guidance.follow_up(self.object) if row.item.pk in visible]
        context["rows"] = rows
        context["counts"] = {
            "total": len(rows),
            "acted": sum(row.item.state == InboxItem.State.ACTED for row in rows),
            "late": sum(row.late for row in rows),
        }
        return context
