"""Pages of a unit (placeholder bodies; the UI shell fills them)."""
from django.views.generic import TemplateView

from mttq_platform.tenancy import UnitViewMixin


class UnitHomeView(UnitViewMixin, TemplateView):
    template_name = "orgtree/unit_home.html"


class TreeView(UnitViewMixin, TemplateView):
    template_name = "orgtree/tree.html"


class TreeChildrenView(UnitViewMixin, TemplateView):
    template_name = "orgtree/_tree_children.html"


class UnitAuditView(UnitViewMixin, TemplateView):
    unit_action = "manage"
    template_name = "orgtree/audit.html"
