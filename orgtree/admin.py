from django.contrib import admin
from mptt.admin import DraggableMPTTAdmin, MPTTModelAdmin

from orgtree.models import (
    CodeSet, Level, Membership, OrgUnit, OrgUnitUserObjectPermission, Role, UnitKind, UnitSuccession,
)


@admin.register(OrgUnit)
class OrgUnitAdmin(DraggableMPTTAdmin):
    """The tree is editable, drag-and-drop included, by superusers only: a moved unit moves the
    rights of everyone in it."""

    list_display = ("tree_actions", "indented_title", "code", "kind", "level", "code_set")
    list_display_links = ("indented_title",)
    list_filter = ("kind", "level", "code_set")
    search_fields = ("code", "name", "area_name")
    autocomplete_fields = ("parent",)
    mptt_level_indent = 16

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


@admin.register(Membership)
class MembershipAdmin(SuperuserOnlyAdmin):
    list_display = ("user", "unit", "role", "title", "since")
    list_filter = ("role",)
    search_fields = ("user__username", "unit__code", "unit__name")
    autocomplete_fields = ("user", "unit")


@admin.register(OrgUnitUserObjectPermission)
class GrantAdmin(SuperuserOnlyAdmin):
    list_display = ("user", "permission", "content_object", "expires_at", "reason")
    autocomplete_fields = ("user", "content_object")


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(SuperuserOnlyAdmin):
    """Written by manage.py reform_2025; editable here for corrections."""

    list_display = ("predecessor", "successor", "effective_date", "note")
    list_select_related = ("predecessor", "successor")
    search_fields = ("predecessor__code", "predecessor__name", "successor__code", "successor__name")
    autocomplete_fields = ("predecessor", "successor")


admin.site.register(Level, SuperuserOnlyAdmin)
admin.site.register(UnitKind, SuperuserOnlyAdmin)
admin.site.register(CodeSet, SuperuserOnlyAdmin)
admin.site.register(Role, SuperuserOnlyAdmin)
