from django.urls import path

from groups import lifecycle_views, views

urlpatterns = [
    path("", views.my_groups, name="my_groups"),
    path("groups/", views.discover_groups, name="discover_groups"),
    path("groups/new/", views.create_group, name="create_group"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.edit_group, name="edit_group"),
    path("groups/<int:pk>/delete/", views.delete_group, name="delete_group"),
    path("groups/<int:pk>/join/", views.join_group, name="join_group"),
    path("groups/<int:pk>/leave/", views.leave_group, name="leave_group"),
    path("groups/<int:pk>/members/", views.group_members, name="group_members"),
    path("groups/<int:pk>/members/add/", views.add_members, name="add_members"),
    path("groups/<int:pk>/members/remove/", views.remove_member, name="remove_member"),
    path("groups/<int:pk>/members.csv", views.export_members, name="export_members"),
    path("groups/<int:pk>/owners/add/", views.add_owner, name="add_owner"),
    path("groups/<int:pk>/owners/remove/", views.remove_owner, name="remove_owner"),
    path("requests/<int:pk>/cancel/", views.cancel_request, name="cancel_request"),
    path(
        "requests/<int:pk>/approve/",
        views.decide_request,
        {"decision": "approve"},
        name="approve_request",
    ),
    path(
        "requests/<int:pk>/deny/", views.decide_request, {"decision": "deny"}, name="deny_request"
    ),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/approve-selected/", views.approve_selected, name="approve_selected"),
    path("people/search/", views.people_search, name="people_search"),
    path("groups/options/", views.group_options, name="group_options"),
    path("groups/<int:pk>/nested/add/", views.nest_group, name="nest_group"),
    path("groups/<int:pk>/nested/remove/", views.unnest_group, name="unnest_group"),
    path("groups/<int:pk>/renew/", lifecycle_views.renew_group, name="renew_group"),
    path(
        "groups/<int:pk>/members/renew/",
        lifecycle_views.renew_membership,
        name="renew_membership",
    ),
    path(
        "groups/<int:pk>/membership-options/",
        lifecycle_views.membership_options,
        name="membership_options",
    ),
]
