from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgTreeConfig(AppConfig):
    name = "orgtree"
    verbose_name = _("Cây tổ chức")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from mttq_platform.permissions import forget_scopes

        # A change to who holds what inside a request must not be hidden by the request's cache.
        for name in ("Membership", "Role", "OrgUnitUserObjectPermission", "OrgUnitGroupObjectPermission",
                     "UnitSuccession"):
            model = self.get_model(name)
            post_save.connect(forget_scopes, sender=model, dispatch_uid=f"forget_scopes_save_{name}")
            post_delete.connect(forget_scopes, sender=model, dispatch_uid=f"forget_scopes_delete_{name}")
