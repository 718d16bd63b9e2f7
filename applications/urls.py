"""URL patterns of an application's page. The panel includes them at /applications/; the
Admin center at /admin-center/applications/ with surface=admin_center (admincenter/urls.py)."""

from django.urls import path

from applications import views


def application_patterns(prefix: str = "application_", **kwargs) -> list:
    """The same pages under a name prefix, with extra view arguments (the surface)."""
    pages = [
        ("", views.detail, "detail"),
        ("access/", views.access_list, "access"),
        ("access.csv", views.access_csv, "access_csv"),
        ("assign/", views.assign, "assign"),
        ("unassign/", views.unassign, "unassign"),
        ("block/", views.block, "block"),
        ("unblock/", views.unblock, "unblock"),
        ("move/", views.move, "move"),
        ("edit/", views.edit, "edit"),
        ("delete/", views.delete, "delete"),
        ("owners/add/", views.add_owner, "add_owner"),
        ("owners/remove/", views.remove_owner, "remove_owner"),
    ]
    return [
        path(f"<int:pk>/{route}", view, kwargs, name=f"{prefix}{name}")
        for route, view, name in pages
    ]


urlpatterns = application_patterns()
