from django.urls import path

from orgtree import views

urlpatterns = [
    path("", views.UnitHomeView.as_view(), name="unit-home"),
    path("tree/", views.TreeView.as_view(), name="unit-tree"),
    path("tree/children/", views.TreeChildrenView.as_view(), name="unit-tree-children"),
    path("audit/", views.UnitAuditView.as_view(), name="unit-audit"),
]
