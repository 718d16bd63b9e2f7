"""The panel's notification pages and the landing page of email links (thin views)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from groups.forms import end_of_day
from groups.policy import Action, Decider
from notifications import actions, links, selectors
from notifications.forms import LinkDecisionForm, PreferencesForm
from notifications.models import EmailLink
from tenants.actors import Surface
from tenants.errors import Refusal
from tenants.web import acting_person, show_refusal

PAGE_SIZE = 25


@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav_active": "notifications",
        "page": page,
        "unread": selectors.unread_count(request.user),
    }
    return render(request, "notifications/list.html", context)


@require_safe
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The navigation's count of unread notifications (loaded by htmx after the page). No
    request context: the navigation's own queries aren't needed for a badge."""
    unread = selectors.unread_count(request.user)
    return HttpResponse(render_to_string("notifications/_badge.html", {"unread": unread}))


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    actions.mark_all_read(request.user)
    messages.success(request, "All notifications marked as read.")
    return redirect("notifications:list")


@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, current=selectors.preferences_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_preferences(
                request.user,
                actor=acting_person(request, Surface.PANEL),
                choices=form.cleaned_data,
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, "Email preferences saved.")
            return redirect("notifications:preferences")
    return render(
        request, "notifications/preferences.html", {"form": form, "nav_active": "notifications"}
    )


STATUS = {
    links.State.OK: 200,
    links.State.DECIDED: 200,
    links.State.INVALID: 404,
    links.State.NOT_YOURS: 403,
    links.State.USED: 410,
    links.State.EXPIRED: 410,
}


@require_http_methods(["GET", "HEAD", "POST"])
def email_link(request: HttpRequest, token: str) -> HttpResponse:
    """An email's Approve, Deny or Open link: the signed-in recipient sees the request and
    confirms (POST). A GET never acts."""
    actor = acting_person(request, Surface.EMAIL)
    Decider(actor).groups_panel().require()
    resolved = links.resolve(token, user=request.user)
    form = LinkDecisionForm(request.POST or None)
    if request.method == "POST" and resolved.state == links.State.OK and form.is_valid():
        try:
            decided = actions.decide_from_link(
                token,
                actor=actor,
                reason=form.cleaned_data["reason"],
                ends_at=end_of_day(form.cleaned_data["ends_on"]),
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
            resolved = links.resolve(token, user=request.user)
        else:
            done = "approved" if decided.status == "approved" else "denied"
            messages.success(
                request,
                f"{decided.requester.display_name}'s request to join "
                f"“{decided.group.display_name}” {done}.",
            )
            return redirect(reverse("group_detail", args=[decided.group_id]))
    join_request = resolved.join_request if resolved.state != links.State.NOT_YOURS else None
    context = {
        "state": resolved.state,
        "action": resolved.link.action if resolved.link else "",
        "req": join_request,
        "form": form,
        "refusal": actions.link_refusal(resolved) if resolved.state != links.State.OK else None,
        "can_decide": (
            join_request is not None
            and resolved.state == links.State.OK
            and resolved.link.action == EmailLink.Action.OPEN
            and Decider(actor).can(Action.DECIDE_REQUEST, join_request, use_annotation=False)
        ),
    }
    return render(request, "notifications/link.html", context, status=STATUS[resolved.state])
