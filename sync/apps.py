from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sync"
    verbose_name = _("Đồng bộ")

    def ready(self):
        from sync import receivers  # noqa: F401  (records changes of the apps below)
