from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from mttq_platform.api.viewsets import RestrictedReadOnlyViewSet
from orgtree.api.serializers import OrgUnitDetailSerializer, OrgUnitSerializer
from orgtree.filtersets import OrgUnitFilterSet
from orgtree.models import OrgUnit


class OrgUnitViewSet(RestrictedReadOnlyViewSet):
    """Units the caller may see: their units' subtrees and the chain of units above them.

    ``children`` and ``ancestors`` list only what the caller may see (the children of an ancestor
    are the ones on the caller's own branch), and take the same filters as the list.
    """

    queryset = OrgUnit.objects.select_related("kind", "level", "parent", "code_set").order_by("tree_id", "lft")
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilterSet
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    search_fields = ["name", "code", "area_name"]
    ordering_fields = ["code", "name", "lft"]

    def get_serializer_class(self):
        return OrgUnitDetailSerializer if self.action == "retrieve" else OrgUnitSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "retrieve":
            return queryset
        # Successions as arrays of codes in the detail's own query, restricted as the unit is.
        visible = OrgUnit.objects.restrict(self.request.user).order_by("code").values("code")
        return queryset.annotate(
            successors=ArraySubquery(visible.filter(predecessor_links__predecessor=OuterRef("pk"))),
            predecessors=ArraySubquery(visible.filter(successor_links__successor=OuterRef("pk"))),
        )

    def _anchor(self):
        # The unit named in the URL, through the restriction but without the list filters
        # (``?kind=`` filters the children, not the unit whose children they are).
        unit = get_object_or_404(self.get_queryset(), code=self.kwargs["code"])
        self.check_object_permissions(self.request, unit)
        return unit

    def _related_list(self, queryset):
        queryset = self.filter_queryset(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=OrgUnitSerializer(many=True), summary="Direct children of a unit that the caller may see")
    @action(detail=True)
    def children(self, request, code=None):
        unit = self._anchor()
        return self._related_list(self.get_queryset().filter(parent=unit))

    @extend_schema(responses=OrgUnitSerializer(many=True), summary="Units above a unit, from the root down")
    @action(detail=True)
    def ancestors(self, request, code=None):
        unit = self._anchor()
        return self._related_list(
            self.get_queryset().filter(tree_id=unit.tree_id, lft__lt=unit.lft, rght__gt=unit.rght)
        )
