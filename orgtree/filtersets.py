import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgtree.models import OrgUnit


class OrgUnitFilterSet(django_filters.FilterSet):
    within = django_filters.CharFilter(method="filter_within", label=_("Trong cây con của đơn vị (mã)"))
    kind = django_filters.CharFilter(field_name="kind__code", label=_("Loại đơn vị (mã)"))
    level = django_filters.CharFilter(field_name="level__code", label=_("Cấp (mã)"))
    category = django_filters.CharFilter(field_name="kind__category", label=_("Nhóm loại"))
    code_set = django_filters.CharFilter(field_name="code_set__code", label=_("Bộ mã"))
    q = django_filters.CharFilter(method="filter_q", label=_("Tìm theo tên hoặc mã"))

    class Meta:
        model = OrgUnit
        fields = ["within", "kind", "level", "category", "code_set", "q"]

    def filter_within(self, queryset, name, value):
        # The anchor itself is looked up through the same restriction: an invisible code finds
        # nothing rather than revealing that it exists.
        anchor = OrgUnit.objects.restrict(self.request.user).filter(code=value).values("tree_id", "lft", "rght").first()
        if anchor is None:
            return queryset.none()
        return queryset.filter(tree_id=anchor["tree_id"], lft__gte=anchor["lft"], rght__lte=anchor["rght"])

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value) | Q(area_name__icontains=value))
