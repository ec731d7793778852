from django.contrib import admin

from reviews.models import Indicator, ReminderRule


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "group", "form", "measure_unit", "order", "active")
    list_filter = ("group", "active")
    search_fields = ("code", "name", "name_en")


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "offset_days", "active")
    list_filter = ("kind", "active")
