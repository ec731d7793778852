"""Template helpers of the review pages and their charts."""
from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def breakdown_label(row) -> str:
    """A roll-up row's name in the page's language: levels and kinds have English names as data;
    a child unit keeps its own name."""
    if (get_language() or "").startswith("en") and getattr(row, "label_en", ""):
        return row.label_en
    return row.label

