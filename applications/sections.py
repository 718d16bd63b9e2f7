"""What applications adds to the panel's pages (registered in applications/apps.py)."""

from django.http import HttpRequest

from applications import selectors
from groups.extensions import Section
from groups.models import Group


def my_apps(request: HttpRequest) -> Section:
    """My groups → My apps: what I can use, and through which group or application."""
    return Section(
        "applications/_my_apps.html",
        {
            "page": selectors.my_apps(request.user, page=request.GET.get("apps")),
            "owned": list(selectors.owned_applications(request.user)[:20]),
        },
    )


def gives_access_to(request: HttpRequest, group: Group, can: dict) -> Section:
    """The group page: the applications its members get through it."""
    return Section(
        "applications/_group_gives.html",
        {"applications": selectors.applications_through_group(group)},
    )
