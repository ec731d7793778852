"""Template helpers shared by every page."""
from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized_name(obj) -> str:
    """``obj.name_en`` on English pages when it is filled in, ``obj.name`` otherwise.

    Reference rows (levels, unit kinds, roles) are data with a Vietnamese name and an optional
    English one, so gettext cannot translate them.
    """
    if obj is None:
        return ""
    if (get_language() or "").startswith("en"):
        return getattr(obj, "name_en", "") or obj.name
    return obj.name
