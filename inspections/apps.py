from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspections"
    verbose_name = _("Kiểm tra")

    def ready(self):
        # Reviews imports nothing of inspections: the reminder job learns of the recommendations here.
        from inspections.services.recommendations import recommendation_reminders
        from reviews.models.reminders import ReminderKind
        from reviews.reminders import register_source

        for kind in (ReminderKind.RECOMMENDATION_DUE, ReminderKind.RECOMMENDATION_OVERDUE):
            register_source(kind, recommendation_reminders, family="recommendation")

        # The 3-, 5- and 10-year reviews list the inspections held in their period.
        from inspections.summary import review_section
        from reviews.documents import register_review_section

        register_review_section(review_section)
