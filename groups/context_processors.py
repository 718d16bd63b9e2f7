"""Navigation items, shown only to people who may use them."""

from django.http import HttpRequest
from django.urls import reverse

from groups.policy import Decider
from groups.selectors import pending_count


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.tenant_id is None:
        return {"nav": {}}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return {"nav": {}}  # a partial swap has no navigation to draw
    decider = getattr(request, "decider", None) or Decider(user)  # shared with the view
    panel = bool(decider.groups_panel())
    approvals = decider.shows_approvals()
    return {
        "nav": {
            "my_groups": True,
            "discover": panel,
            "approvals": approvals,
            "pending_count": pending_count(user, decider=decider) if approvals else 0,
            "admin_center": reverse("admin_center:home") if user.is_global_admin else "",
        }
    }
