"""Comment rounds (góp ý) of a unit's yearly report: /u/<code>/reviews/<year>/comments/..."""
from django.urls import path

from reviews import views_comments as views

urlpatterns = [
    path("<int:year>/comments/", views.CommentRoundListView.as_view(), name="comment-round-list"),
    path("<int:year>/comments/new/", views.CommentRoundCreateView.as_view(), name="comment-round-new"),
    path("<int:year>/comments/<uuid:uuid>/", views.CommentRoundDetailView.as_view(), name="comment-round-detail"),
    path("<int:year>/comments/<uuid:uuid>/comment/", views.CommentSubmitView.as_view(), name="comment-round-comment"),
    path("<int:year>/comments/<uuid:uuid>/meeting/", views.MeetingView.as_view(), name="comment-round-meeting"),
    path("<int:year>/comments/<uuid:uuid>/close/", views.CloseRoundView.as_view(), name="comment-round-close"),
    path("<int:year>/comments/<uuid:uuid>/comments/<int:pk>/decide/", views.DecideView.as_view(), name="comment-decide"),
]
