"""Review pages of a unit, included under /u/<code>/reviews/. Each area keeps its own module."""
from django.urls import include, path

urlpatterns = [
]
