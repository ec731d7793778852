from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "mttq_platform"
    verbose_name = _("Nền tảng")
