"""The Access Panel: thin views that parse input, call selectors and actions, and render.

Every view that touches groups checks `can_use_groups_panel` (the Restrict setting) and gets its
objects through viewer-scoped selectors, so another tenant's object is a 404. Templates only
receive the policy's decisions; they never decide.
"""

import re
from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from groups import actions, selectors
from groups.forms import (
    BulkMembersForm,
    DecisionForm,
    GroupForm,
    JoinForm,
    is_email,
    search_term,
)
from groups.models import Group, GroupSource, GroupType, JoinRequest, MembershipPolicy
from groups.policy import (
    Action,
    Decider,
    Decision,
    can_create,
    creatable_types,
)
from tenants.csv_export import streaming_csv
from tenants.errors import DomainError
from tenants.models import User

PAGE_SIZE = 25
GROUP_PAGE_ACTIONS = (
    Action.JOIN,
    Action.LEAVE,
    Action.EDIT,
    Action.DELETE,
    Action.VIEW_MEMBERS,
    Action.MANAGE_MEMBERS,
    Action.MANAGE_OWNERS,
    Action.VIEW_REQUESTS,
    Action.DECIDE_REQUESTS,
)


def groups_panel(view):
    """Refuse every groups feature of the panel when the Restrict setting applies to the user."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        request.decider = Decider(request.user)
        decision = request.decider.groups_panel()
        if not decision:
            raise PermissionDenied(decision.reason)
        return view(request, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, queryset, *, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only, within a 64-bit id


def _posted_ids(request: HttpRequest, field: str) -> list[int]:
    """The well-formed ids posted in `field`; anything else is ignored."""
    return [int(value) for value in request.POST.getlist(field) if ID.fullmatch(value)]


def _back(request: HttpRequest, default: str) -> str:
    """Where to return after a plain POST: the page it came from, if it is on this site."""
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def _full_or_partial(request: HttpRequest, template: str, partial: str) -> str:
    """HTMX swaps get the partial; a history restore (Back button) needs the whole page."""
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


def _group_for(request: HttpRequest, pk: int, *, require: str | None = None, also=()) -> Group:
    """The viewer's group (404 outside their tenant) with the decisions a view needs.

    Refuses with the policy's reason unless `require` is allowed; `also` are decisions read
    later with `request.decider.can(...)` at no extra query.
    """
    wanted = [action for action in (require, *also) if action]
    visible = selectors.visible_groups(request.user, decider=request.decider)
    group = get_object_or_404(request.decider.annotate(visible, wanted), pk=pk)
    if require:
        decision = request.decider.can(require, group)
        if not decision:
            raise PermissionDenied(decision.reason)
    return group


# --- My groups -------------------------------------------------------------------------------


@require_GET
def my_groups(request: HttpRequest) -> HttpResponse:
    decider = request.decider = Decider(request.user)
    panel = decider.groups_panel()
    context = {"nav_active": "my_groups", "panel": panel}
    if panel:
        owned = Paginator(selectors.groups_i_own(request.user, decider=decider), PAGE_SIZE)
        joined = Paginator(selectors.groups_im_in(request.user, decider=decider), PAGE_SIZE)
        joined_page = joined.get_page(request.GET.get("joined"))
        joined_page.object_list = list(joined_page.object_list)
        for group in joined_page:
            group.can_leave = decider.can(Action.LEAVE, group)  # read from the row, no query
        context |= {
            "owned": owned.get_page(request.GET.get("owned")),
            "joined": joined_page,
            "pending": selectors.my_pending_requests(request.user, decider=decider),
            "can_create_any": bool(creatable_types(request.user, settings=decider.settings)),
        }
    return render(request, "groups/my_groups.html", context)


# --- Discover groups -------------------------------------------------------------------------


@dataclass
class GroupRow:
    """A directory row with what the viewer can do, decided in the row's own query."""

    group: Group
    join: Decision
    leave: Decision


@require_GET
@vary_on_headers("HX-Request")
@groups_panel
def discover_groups(request: HttpRequest) -> HttpResponse:
    search = search_term(request.GET)
    group_type = request.GET.get("type", "")
    policy = request.GET.get("policy", "")
    groups = selectors.directory(
        request.user,
        search=search,
        group_type=group_type if group_type in GroupType.values else "",
        policy=policy if policy in MembershipPolicy.values else "",
        decider=request.decider,
    )
    page = _page(request, groups)
    rows = [
        GroupRow(g, request.decider.can(Action.JOIN, g), request.decider.can(Action.LEAVE, g))
        for g in page
    ]
    context = {
        "nav_active": "discover",
        "page": page,
        "rows": rows,
        "q": search,
        "type": group_type,
        "policy": policy,
        "group_types": GroupType.choices,
        "policies": MembershipPolicy.choices,
        "can_create_any": bool(creatable_types(request.user, settings=request.decider.settings)),
    }
    return render(request, _full_or_partial(request, "groups/discover.html", "results"), context)


# --- Create and edit -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@groups_panel
def create_group(request: HttpRequest) -> HttpResponse:
    types = creatable_types(request.user, settings=request.decider.settings)
    if not types:
        raise PermissionDenied(
            can_create(
                request.user,
                group_type=GroupType.SECURITY,
                membership_policy=MembershipPolicy.OPEN,
                settings=request.decider.settings,
            ).reason
        )
    form = GroupForm(request.POST or None, group_types=types, submit_label="Create group")
    if request.method == "POST" and form.is_valid():
        decision = can_create(
            request.user,
            group_type=form.cleaned_data["group_type"],
            membership_policy=form.cleaned_data["membership_policy"],
            settings=request.decider.settings,
        )
        if not decision:  # shown next to the field it is about (the action checks it again)
            form.add_error(decision.field, decision.reason)
        else:
            try:
                group = actions.create_group(
                    acting_user=request.user, source=GroupSource.ACCESS_PANEL, **form.cleaned_data
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request, f"Group “{group.display_name}” created. You're its owner."
                )
                return redirect("group_detail", pk=group.pk)
    return render(request, "groups/group_form.html", {"form": form, "title": "Create group"})


@require_http_methods(["GET", "POST"])
@groups_panel
def edit_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.EDIT)
    initial = {f: getattr(group, f) for f in actions.EDITABLE_GROUP_FIELDS}
    form = GroupForm(request.POST or None, initial=initial, submit_label="Save")
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_group(group, acting_user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "Group saved.")
            return redirect("group_detail", pk=group.pk)
    return render(
        request, "groups/group_form.html", {"form": form, "title": "Edit group", "group": group}
    )


@require_POST
@groups_panel
def delete_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk)
    name = group.display_name
    actions.delete_group(group, acting_user=request.user)
    messages.success(request, f"Group “{name}” deleted.")
    return redirect("my_groups")


# --- Group page ------------------------------------------------------------------------------


@require_GET
@groups_panel
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decider = request.decider
    groups = selectors.with_viewer_status(
        selectors.visible_groups(request.user, decider=decider), request.user
    )
    group = get_object_or_404(decider.annotate(groups, GROUP_PAGE_ACTIONS), pk=pk)
    can = {action.value: decider.can(action, group) for action in GROUP_PAGE_ACTIONS}
    owners = list(selectors.group_owners(group))
    context = {
        "group": group,
        "can": can,
        "owners": owners,
        "can_remove_owner": can["manage_owners"]
        and actions.may_remove_an_owner(group, acting_user=request.user, owner_count=len(owners)),
        "join_form": JoinForm(),
        "my_request": JoinRequest.objects.filter(
            group=group, requester=request.user, status=JoinRequest.Status.PENDING
        ).first(),
    }
    if can["view_members"]:
        context |= _members_context(request, group)
    if can["view_requests"]:
        context["group_requests"] = (
            selectors.visible_requests(request.user, decider=decider)
            .filter(group=group, status=JoinRequest.Status.PENDING)
            .order_by("created_at", "id")[:50]
        )
    return render(request, "groups/group_detail.html", context)


def _members_context(request: HttpRequest, group: Group) -> dict:
    search = search_term(request.GET, "mq")
    members = selectors.group_members(group, search=search)
    return {"members_page": _page(request, members), "mq": search}


@require_GET
@vary_on_headers("HX-Request")
@groups_panel
def group_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The member list alone (HTMX search and pagination on the group page)."""
    group = _group_for(request, pk, require=Action.VIEW_MEMBERS, also=[Action.MANAGE_MEMBERS])
    context = {"group": group, **_members_context(request, group)}
    context["can"] = {"manage_members": request.decider.can(Action.MANAGE_MEMBERS, group)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "groups/group_detail.html#members", context)
    return redirect(f"{reverse('group_detail', args=[pk])}?mq={context['mq']}")


@require_GET
@groups_panel
def export_members(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Members as CSV, streamed (the list can be large)."""
    group = _group_for(request, pk, require=Action.VIEW_MEMBERS)
    rows = selectors.group_members(group).values_list(
        "user__display_name", "user__email", "added_via", "created_at"
    )
    return streaming_csv(
        ("display_name", "email", "added_via", "member_since"),
        rows.iterator(chunk_size=2000),
        f"group-{group.pk}-members.csv",
    )


# --- Joining, leaving, requests --------------------------------------------------------------


def _run(request: HttpRequest, action, success: str) -> bool:
    """Call an action; report success or its refusal as a message. True when it succeeded."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


@require_POST
@groups_panel
def join_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk)
    form = JoinForm(request.POST)
    justification = form.cleaned_data["justification"] if form.is_valid() else ""
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("justification", [])))
    else:
        open_group = group.membership_policy == MembershipPolicy.OPEN
        _run(
            request,
            lambda: actions.request_to_join(
                group, acting_user=request.user, justification=justification
            ),
            f"You joined “{group.display_name}”."
            if open_group
            else f"Request sent. The owners of “{group.display_name}” will decide.",
        )
    return redirect(_back(request, reverse("group_detail", args=[pk])))


@require_POST
@groups_panel
def leave_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk)
    _run(
        request,
        lambda: actions.leave_group(group, acting_user=request.user),
        f"You left “{group.display_name}”.",
    )
    return redirect(_back(request, reverse("group_detail", args=[pk])))


def _visible_request(request: HttpRequest, pk: int) -> JoinRequest:
    return get_object_or_404(
        selectors.visible_requests(request.user, decider=request.decider), pk=pk
    )


@require_POST
@groups_panel
def cancel_request(request: HttpRequest, pk: int) -> HttpResponse:
    join_request = _visible_request(request, pk)
    _run(
        request,
        lambda: actions.cancel_request(join_request, acting_user=request.user),
        "Request cancelled.",
    )
    return redirect(_back(request, reverse("my_groups")))


@require_POST
@groups_panel
def decide_request(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve or Deny one request; HTMX swaps the row in place."""
    join_request = _visible_request(request, pk)
    form = DecisionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    decide = actions.approve_request if decision == "approve" else actions.deny_request
    name = join_request.requester.display_name
    done = "approved" if decision == "approve" else "denied"
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("reason", [])))
    else:
        _run(
            request,
            lambda: decide(join_request, acting_user=request.user, reason=reason),
            f"{name}'s request to join “{join_request.group.display_name}” {done}.",
        )
    if request.htmx:
        join_request.refresh_from_db()
        context = {
            "req": join_request,
            "pending_count": selectors.requests_to_decide(
                request.user, decider=request.decider
            ).count(),
        }
        return render(request, "groups/approvals.html#decided_row", context)
    return redirect(_back(request, reverse("approvals")))


# --- Approvals -------------------------------------------------------------------------------


@require_GET
@groups_panel
def approvals(request: HttpRequest) -> HttpResponse:
    decider = request.decider
    pending = selectors.requests_to_decide(request.user, decider=decider)
    recent = (
        selectors.visible_requests(request.user, decider=decider)
        .filter(decided_by__isnull=False, group__in=decider.queryset(Action.VIEW_REQUESTS, Group))
        .exclude(status=JoinRequest.Status.PENDING)
        .order_by("-decided_at", "-id")[:10]
    )
    context = {
        "nav_active": "approvals",
        "page": _page(request, pending, size=50),
        "recent": recent,
        "deciding": decider.for_every_group(Action.DECIDE_REQUESTS),
    }
    return render(request, "groups/approvals.html", context)


@require_POST
@groups_panel
def approve_selected(request: HttpRequest) -> HttpResponse:
    ids = _posted_ids(request, "request")[:200]
    if not ids:
        messages.error(request, "Select at least one request to approve.")
        return redirect("approvals")
    approved, refused = 0, []
    for join_request in selectors.requests_to_decide(request.user, decider=request.decider).filter(
        pk__in=ids
    ):
        try:
            actions.approve_request(join_request, acting_user=request.user)
            approved += 1
        except (DomainError, PermissionDenied) as error:
            refused.append(f"{join_request.requester.display_name}: {error}")
    if approved:
        messages.success(request, f"Approved {approved} request{'s' if approved != 1 else ''}.")
    elif not refused:
        messages.error(request, "None of the selected requests is waiting for your decision.")
    for line in refused:
        messages.error(request, line)
    return redirect(_back(request, reverse("approvals")))


# --- Members and owners (owners' tools) ------------------------------------------------------


@dataclass
class BulkPreview:
    """What adding a pasted list would do, shown before anything is added."""

    to_add: list[User]
    already_members: list[User]
    unknown: list[str]
    refused: list[tuple[str, str]]


def _preview(group: Group, viewer: User, entries: list[str]) -> BulkPreview:
    valid = [e for e in entries if is_email(e)]
    # Only the viewer's tenant: another organisation's people are as unknown as strangers.
    people = {u.email: u for u in User.objects.filter(tenant_id=viewer.tenant_id, email__in=valid)}
    members = set(
        group.memberships.filter(user__in=people.values()).values_list("user_id", flat=True)
    )
    preview = BulkPreview([], [], [], [])
    for entry in entries:
        person = people.get(entry)
        if person is None:
            preview.unknown.append(entry)
        elif not person.is_active:
            preview.refused.append((entry, "This account is deactivated."))
        elif person.pk in members:
            preview.already_members.append(person)
        else:
            preview.to_add.append(person)
    return preview


@require_http_methods(["GET", "POST"])
@groups_panel
def add_members(request: HttpRequest, pk: int) -> HttpResponse:
    """Add members: pick people, or paste/upload many → preview → confirm."""
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    if request.method == "POST" and "confirm" in request.POST:
        ids = _posted_ids(request, "user")
        people = list(User.objects.filter(pk__in=ids, tenant_id=request.user.tenant_id))
        if not people:
            messages.error(request, "Select at least one person to add.")
            return redirect("add_members", pk=group.pk)
        try:
            result = actions.add_members(group, acting_user=request.user, people=people)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            _report_added(request, result)
        return redirect("group_detail", pk=group.pk)
    form = BulkMembersForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = _preview(group, request.user, form.cleaned_data["entries"])
    return render(
        request, "groups/add_members.html", {"group": group, "form": form, "preview": preview}
    )


def _report_added(request: HttpRequest, result: actions.AddMembersResult) -> None:
    if result.added:
        count = len(result.added)
        messages.success(request, f"Added {count} member{'s' if count != 1 else ''}.")
    if result.already_members:
        messages.info(request, f"{len(result.already_members)} already in the group.")
    for person, reason in result.refused:
        messages.error(request, f"{person.email}: {reason}")


def _posted_person(request: HttpRequest) -> User:
    """The person named by the form's `user` field, from the viewer's tenant (else 404)."""
    user_id = request.POST.get("user", "")
    return get_object_or_404(
        User, pk=int(user_id) if ID.fullmatch(user_id) else 0, tenant_id=request.user.tenant_id
    )


@require_POST
@groups_panel
def remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    person = _posted_person(request)
    _run(
        request,
        lambda: actions.remove_member(group, acting_user=request.user, person=person),
        f"{person.display_name} removed from the group.",
    )
    return redirect(_back(request, reverse("group_detail", args=[pk])))


@require_POST
@groups_panel
def add_owner(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_OWNERS)
    email = request.POST.get("email", "").strip().lower()
    person = None
    if is_email(email):
        person = User.objects.filter(email=email, tenant_id=request.user.tenant_id).first()
    if person is None:
        messages.error(request, f"No one in your organisation has the email address “{email}”.")
    else:
        _run(
            request,
            lambda: actions.add_owner(group, acting_user=request.user, person=person),
            f"{person.display_name} is now an owner.",
        )
    return redirect("group_detail", pk=pk)


@require_POST
@groups_panel
def remove_owner(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_OWNERS)
    person = _posted_person(request)
    _run(
        request,
        lambda: actions.remove_owner(group, acting_user=request.user, person=person),
        f"{person.display_name} is no longer an owner.",
    )
    return redirect("group_detail", pk=pk)


@require_GET
@groups_panel
def people_search(request: HttpRequest) -> HttpResponse:
    """People picker autocomplete: the viewer's tenant directory, 10 at a time."""
    search = search_term(request.GET) or search_term(request.GET, "email")
    people = selectors.tenant_people(request.user, search=search)[:10] if len(search) >= 2 else []
    field = request.GET.get("field", "email")
    return render(
        request, "groups/people_options.html", {"people": people, "q": search, "field": field}
    )
