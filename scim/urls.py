"""/scim/v2/: discovery, Users and Groups (RFC 7644 §3.2)."""

from django.urls import path, re_path

from scim import views

urlpatterns = [
    path("ServiceProviderConfig", views.service_provider_config),
    path("ResourceTypes", views.resource_types),
    path("ResourceTypes/<str:name>", views.resource_types),
    path("Schemas", views.schemas),
    path("Schemas/<str:name>", views.schemas),
    path(".search", views.search_everything),
    path("Users", views.users),
    path("Users/.search", views.search_users),
    path("Users/<str:pk>", views.user),
    path("Groups", views.groups),
    path("Groups/.search", views.search_groups),
    path("Groups/<str:pk>", views.group),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
