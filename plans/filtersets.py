import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgtree.models import OrgUnit
from plans.models import DocumentKind, DocumentStatus, PlanDocument, Task


def _visible_unit(request, code):
    """The anchor unit of a filter, looked up through the restriction: an invisible code finds
    nothing rather than revealing that it exists."""
    return OrgUnit.objects.restrict(request.user).filter(code=code).values("id", "tree_id", "lft", "rght").first()


class PlanDocumentFilterSet(django_filters.FilterSet):
    unit = django_filters.CharFilter(method="filter_unit", label=_("Đơn vị ban hành (mã)"))
    within = django_filters.CharFilter(method="filter_within", label=_("Trong cây con của đơn vị (mã)"))
    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, label=_("Loại văn bản"))
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices, label=_("Trạng thái"))
    parent_plan = django_filters.UUIDFilter(field_name="parent_plan__uuid", label=_("Kế hoạch cấp trên (uuid)"))
    q = django_filters.CharFilter(method="filter_q", label=_("Tìm theo trích yếu hoặc số, ký hiệu"))

    class Meta:
        model = PlanDocument
        fields = ["unit", "within", "kind", "status", "parent_plan", "q"]

    def filter_unit(self, queryset, name, value):
        anchor = _visible_unit(self.request, value)
        return queryset.filter(unit_id=anchor["id"]) if anchor else queryset.none()

    def filter_within(self, queryset, name, value):
        anchor = _visible_unit(self.request, value)
        if anchor is None:
            return queryset.none()
        return queryset.filter(unit__tree_id=anchor["tree_id"], unit__lft__gte=anchor["lft"], unit__lft__lte=anchor["rght"])

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(symbol__icontains=value) | Q(number=value))


class TaskFilterSet(django_filters.FilterSet):
    plan = django_filters.UUIDFilter(field_name="document__uuid", label=_("Kế hoạch (uuid)"))
    parent_task = django_filters.UUIDFilter(field_name="parent_task__uuid", label=_("Nhiệm vụ cấp trên (uuid)"))
    number = django_filters.CharFilter(label=_("Số nhiệm vụ"))

    class Meta:
        model = Task
        fields = ["plan", "parent_task", "number"]
