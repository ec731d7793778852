from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from orgtree.api.serializers import OrgUnitSerializer
from orgtree.filtersets import OrgUnitFilterSet
from orgtree.models import OrgUnit


class OrgUnitViewSet(RestrictedReadOnlyViewSet):
    """Units the caller may see: their units' subtrees and the chain of units above them."""

    queryset = OrgUnit.objects.select_related("kind", "level", "parent", "code_set").order_by("tree_id", "lft")
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    search_fields = ["name", "code", "area_name"]
    ordering_fields = ["code", "name", "lft"]

    def _list(self, queryset):
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page if page is not None else queryset, many=True)
        return self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)

    @extend_schema(responses=OrgUnitSerializer(many=True))
    @action(detail=True)
    def children(self, request, code=None):
        unit = self.get_object()
        return self._list(self.get_queryset().filter(parent=unit))

    @extend_schema(responses=OrgUnitSerializer(many=True))
    @action(detail=True)
    def ancestors(self, request, code=None):
        unit = self.get_object()
        return self._list(self.get_queryset().filter(tree_id=unit.tree_id, lft__lt=unit.lft, rght__gt=unit.rght))
