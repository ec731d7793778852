"""Template tags of the editor and guidance pages that other pages show: the plan page's
edit/amend/send buttons with the list of its sendings, and the unit navigation's inbox badge."""
from django import template
from django.db.models import Count, Q
from django.utils import timezone

from mttq_platform.permissions import can
from plans.models import Dispatch, InboxItem

register = template.Library()


@register.inclusion_tag("plans/_editor_detail_panel.html", takes_context=True)
def plan_editing_panel(context, plan):
    """For the plan's own unit: "Sửa" (a draft, "change"), "Sửa đổi, bổ sung" and "Gửi xuống cấp
    dưới" (published, "manage"), and each sending with acted/total and late counts (one query)."""
    request, unit = context["request"], context["unit"]
    panel = {"plan": plan, "unit": unit, "can_edit": False, "can_amend": False, "can_send": False, "dispatches": []}
    if plan.unit_id != unit.pk:
        return panel
    user = request.user
    if plan.is_published:
        panel["can_amend"] = panel["can_send"] = plan.status != "superseded" and can(user, "manage", plan)
    else:
        panel["can_edit"] = can(user, "change", plan)
    acted = Q(items__state=InboxItem.State.ACTED)
    panel["dispatches"] = list(
        Dispatch.objects.restrict(user).filter(document=plan).order_by("-sent_at").annotate(
            total=Count("items"),
            acted=Count("items", filter=acted),
            late=Count("items", filter=~acted & Q(due_date__lt=timezone.localdate())),
        )
    )
    return panel


@register.simple_tag(takes_context=True)
def unseen_inbox_count(context, unit) -> int:
    """How many documents sent to ``unit`` nobody there has opened yet (one query)."""
    request = context.get("request")
    if request is None:
        return 0
    return InboxItem.objects.restrict(request.user).filter(unit=unit, state=InboxItem.State.UNSEEN).count()
