from rest_framework import serializers

from orgtree.models import Level, Membership, OrgUnit, Role, UnitKind


class LevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Level
        fields = ["code", "name", "name_en", "rank"]


class UnitKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = UnitKind
        fields = ["code", "name", "name_en", "category"]


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["code", "name"]


class OrgUnitSerializer(serializers.ModelSerializer):
    kind = UnitKindSerializer(read_only=True)
    level = LevelSerializer(read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    code_set = serializers.SlugRelatedField(slug_field="code", read_only=True)
    descendant_count = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(view_name="api:orgunit-detail", lookup_field="code")

    class Meta:
        model = OrgUnit
        fields = [
            "url", "code", "admin_code", "code_set", "name", "area_name", "kind", "level", "parent",
            "active_from", "active_to", "descendant_count",
        ]

    def get_descendant_count(self, obj) -> int:
        return (obj.rght - obj.lft - 1) // 2


class OrgUnitDetailSerializer(OrgUnitSerializer):
    """One unit, with the units it was formed from and those that took over from it (codes; only
    those the caller may see, annotated by the view's queryset)."""

    successors = serializers.ListField(child=serializers.CharField(), read_only=True)
    predecessors = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(OrgUnitSerializer.Meta):
        fields = [*OrgUnitSerializer.Meta.fields, "successors", "predecessors"]


class RoleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["code", "name", "name_en", "actions"]


class MembershipSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    role = RoleSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["unit", "role", "title"]
