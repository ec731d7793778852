"""Findings, conclusions and recommendations, under /u/<code>/inspections/."""
from django.urls import path

from inspections import views_conclusions as views

urlpatterns = [
    path("<uuid:uuid>/conclusion/", views.ConclusionView.as_view(), name="inspection-conclusion"),
    path("<uuid:uuid>/conclusion/findings/", views.FindingsView.as_view(), name="inspection-findings"),
    path("<uuid:uuid>/conclusion/issue/", views.ConcludeView.as_view(), name="inspection-conclude"),
    path("<uuid:uuid>/conclusion.docx", views.ConclusionDocxView.as_view(), name="inspection-conclusion-docx"),
    path("recommendations/", views.RecommendationListView.as_view(), name="recommendation-list"),
    path("recommendations/overdue/", views.OverdueBlockView.as_view(), name="recommendation-overdue-block"),
    path("recommendations/<int:pk>/", views.RecommendationDetailView.as_view(), name="recommendation-detail"),
    path("recommendations/<int:pk>/answer/", views.AnswerView.as_view(), name="recommendation-answer"),
    path("recommendations/<int:pk>/close/", views.DecideView.as_view(), {"decision": "close"}, name="recommendation-close"),
    path("recommendations/<int:pk>/reopen/", views.DecideView.as_view(), {"decision": "reopen"}, name="recommendation-reopen"),
    path("recommendations/answers/<int:pk>/file/", views.AnswerFileView.as_view(), name="recommendation-answer-file"),
]
