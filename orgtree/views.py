"""Pages of a unit: its home, the lazy tree browser and its audit log.

Every list goes through ``Model.objects.restrict(user, action)``. Each page costs a constant number
of queries whatever the number of children (tests/platform/test_pages.py pins it): children and
their own child counts come in one query, so a province with 130 communes loads one level at a time.
"""
from django.db.models import BooleanField, Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView

from mttq_platform.models import AuditLog
from mttq_platform.permissions import READ
from mttq_platform.tenancy import UnitViewMixin
from orgtree.models import Membership, OrgUnit, UnitKind
from orgtree.services import managing_units


def visible_children(user, parent: OrgUnit):
    """The children of ``parent`` that ``user`` may see, each annotated with ``child_count`` (its
    own visible children) and ``ended`` (stopped before today, as the districts after the 2025
    reform), in one query: active ones first, then the ended ones, each in tree order."""
    visible = OrgUnit.objects.restrict(user)
    grandchildren = (
        visible.filter(parent=OuterRef("pk")).order_by().values("parent").annotate(n=Count("pk")).values("n")
    )
    ended = When(active_to__lt=timezone.localdate(), then=Value(True))
    return (
        visible.filter(parent=parent)
        .select_related("kind", "level")
        .annotate(child_count=Coalesce(Subquery(grandchildren, output_field=IntegerField()), 0),
                  ended=Case(ended, default=Value(False), output_field=BooleanField()))
        .order_by("ended", "lft")
    )


def may_act_for(user, unit: OrgUnit) -> bool:
    """Whether ``user`` may open ``unit``'s pages (the tenancy rule of resolve_unit), one query."""
    return OrgUnit.objects.restrict(user, READ, with_extra=False).filter(pk=unit.pk).exists()


class UnitHomeView(UnitViewMixin, TemplateView):
    template_name = "orgtree/unit_home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, unit = self.request.user, self.unit
        children = list(visible_children(user, unit))
        member_org = UnitKind.Category.MEMBER_ORGANIZATION
        context.update(
            committees=[child for child in children if child.kind.category != member_org],
            member_organizations=[child for child in children if child.kind.category == member_org],
            members=Membership.objects.restrict(user)
            .filter(unit=unit)
            .select_related("user", "role")
            .order_by("role_id", "user__last_name", "user__username"),
            parent_is_link=unit.parent_id is not None and may_act_for(user, unit.parent),
            **self._managing(user, unit),
            ended=unit.has_ended,
            **self._succession(user, unit),
        )
        return context

    @staticmethod
    def _managing(user, unit: OrgUnit) -> dict:
        """"manage" on the unit itself (its audit) and on it or a unit above (its members), one query."""
        managing = set(managing_units(user, unit).values_list("pk", flat=True))
        return {"can_manage": unit.pk in managing, "can_manage_members": bool(managing)}

    @staticmethod
    def _succession(user, unit: OrgUnit) -> dict:
        """The units that took over from an ended unit, and those a new one was formed from: only
        the ones ``user`` may open (no other unit's name shows). A query only for a unit with dates."""
        linkable = OrgUnit.objects.restrict(user, READ, with_extra=False).order_by("code")
        return {
            "successors": list(linkable.filter(predecessor_links__predecessor=unit)) if unit.active_to else [],
            "predecessors": list(linkable.filter(successor_links__successor=unit)) if unit.active_from else [],
        }


class TreeView(UnitViewMixin, TemplateView):
    """The unit and its children; deeper levels load on demand from TreeChildrenView."""

    template_name = "orgtree/tree.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["nodes"] = visible_children(self.request.user, self.unit)
        return context


class TreeChildrenView(UnitViewMixin, TemplateView):
    """htmx partial: the children of ``?node=<code>``, a unit inside this page's unit's subtree."""

    template_name = "orgtree/_tree_children.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        code = self.request.GET.get("node") or self.unit.code
        node = (
            OrgUnit.objects.restrict(self.request.user, READ, with_extra=False)
            .within(self.unit)
            .filter(code=code)
            .first()
        )
        if node is None:
            raise Http404(code)
        context.update(node=node, nodes=visible_children(self.request.user, node))
        return context


class UnitAuditView(UnitViewMixin, ListView):
    """Recent changes to the unit's subtree, for those who manage the unit."""

    unit_action = "manage"
    template_name = "orgtree/audit.html"
    context_object_name = "entries"
    paginate_by = 50

    ACTION_LABELS = {"create": _("Tạo mới"), "update": _("Sửa"), "delete": _("Xóa")}
    SOURCE_LABELS = {
        "web": _("giao diện web"), "api": _("API"), "job": _("tác vụ nền"),
        "command": _("lệnh quản trị"), "system": _("hệ thống"), "import": _("nhập đơn vị"),
        "reform": _("sắp xếp đơn vị hành chính"),
    }

    def get_queryset(self):
        return (
            AuditLog.objects.restrict(self.request.user)
            .filter(unit__in=OrgUnit.objects.within(self.unit).values("pk"))
            .select_related("actor", "content_type", "unit")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = list(context["entries"])
        for entry in entries:
            entry.action_label = self.ACTION_LABELS.get(entry.action, entry.action)
            entry.source_label = self.SOURCE_LABELS.get(entry.source, entry.source)
            entry.changes = audit_changes(entry.before, entry.after)
        context["entries"] = entries
        return context


def audit_changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """(field, before, after) for the fields an audit row records, in a stable order.

    A creation has no "before" and a deletion no "after"; their empty fields and the row's id say
    nothing to a reader and are left out.
    """
    whole_row = before is None or after is None
    before, after = before or {}, after or {}
    return [
        (field, before.get(field), after.get(field))
        for field in sorted(before.keys() | after.keys())
        if not (whole_row and (field == "id" or before.get(field, after.get(field)) in (None, "")))
    ]
