from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgTreeConfig(AppConfig):
    name = "orgtree"
    verbose_name = _("Cây tổ chức")
