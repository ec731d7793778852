from django.urls import path

from orgtree import views, views_members

urlpatterns = [
    path("", views.UnitHomeView.as_view(), name="unit-home"),
    path("tree/", views.TreeView.as_view(), name="unit-tree"),
    path("tree/children/", views.TreeChildrenView.as_view(), name="unit-tree-children"),
    path("audit/", views.UnitAuditView.as_view(), name="unit-audit"),
    path("members/", views_members.MembersView.as_view(), name="unit-members"),
    path("members/add/", views_members.AddMemberView.as_view(), name="unit-member-add"),
    path("members/<int:pk>/role/", views_members.ChangeRoleView.as_view(), name="unit-member-role"),
    path("members/<int:pk>/remove/", views_members.RemoveMemberView.as_view(), name="unit-member-remove"),
    path("members/<int:pk>/carry-over/", views_members.CarryOverView.as_view(), name="unit-member-carry-over"),
]
