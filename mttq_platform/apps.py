from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "mttq_platform"
    verbose_name = _("Nền tảng")

    def ready(self):
        from django.contrib.auth import get_user_model

        # Vietnamese names run family name first ("Lò Văn Hùng": họ = last_name, tên = first_name);
        # Django's get_full_name ("first last") would print "Hùng Lò Văn" on every page and document.
        get_user_model().get_full_name = vietnamese_full_name


def vietnamese_full_name(user) -> str:
    return f"{user.last_name} {user.first_name}".strip()
