from django.contrib import admin

from mttq_platform.models import ApiToken, AuditLog
from mttq_platform.security import superuser_only

# Django lets any is_staff user into the admin; here only superusers come in. Others are sent to the
# admin's login page, which says they are not allowed.
admin.site.has_permission = superuser_only


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "content_type", "object_repr", "source")
    list_filter = ("action", "content_type", "source")
    search_fields = ("object_repr", "object_id", "request_id")
    readonly_fields = [f.name for f in AuditLog._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "unit", "read_only", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("key_hint", "last_used_at", "created_at")
    autocomplete_fields = ("user", "unit")
