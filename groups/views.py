"""The Access Panel: thin views that parse input, call selectors and actions, and render.

Every view that touches groups checks the Restrict setting (`groups_panel`) and gets its
objects through viewer-scoped selectors, so another tenant's object is a 404. Templates only
receive the policy's decisions; they never decide. A refusal raised by an action reaches
tenants.web.RefusalMiddleware (message, HTMX partial or error page); forms catch theirs to show
them next to the field.
"""

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from groups import actions, extensions, lifecycle, selectors
from groups.forms import (
    BulkMembersForm,
    DecisionForm,
    GroupForm,
    JoinForm,
    MembershipEndForm,
    MembershipOptionsForm,
    end_of_day,
    search_term,
)
from groups.models import Group, GroupSource, GroupType, JoinRequest, MembershipPolicy
from groups.policy import Action, Decider, Decision, nests
from tenants.actors import Surface
from tenants.csv_export import streaming_csv
from tenants.errors import Invalid, NotFound, Refusal
from tenants.models import LifecycleSettings, User
from tenants.text import is_email, is_id
from tenants.web import acting_person, safe_next, show_refusal

PAGE_SIZE = 25
APPROVALS_PAGE = 25
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
    Action.RENEW_OWN,
)


def _with_decider(request: HttpRequest) -> Decider:
    """The person acting in the panel, and their Decider (settings read once per request)."""
    request.actor = acting_person(request, Surface.PANEL)
    request.decider = Decider(request.actor)
    return request.decider


def groups_panel(view):
    """Refuse every groups feature of the panel when the Restrict setting applies to the user."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        _with_decider(request).groups_panel().require()
        return view(request, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, queryset, *, size: int = PAGE_SIZE, param: str = "page"):
    return Paginator(queryset, size).get_page(request.GET.get(param))


def _posted_ids(request: HttpRequest, field: str) -> list[int]:
    """The well-formed ids posted in `field`; anything else is ignored."""
    return [int(value) for value in request.POST.getlist(field) if is_id(value)]


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
        request.decider.can(require, group).require()
    return group


def _back_to_group(request: HttpRequest, pk: int) -> HttpResponse:
    return redirect(safe_next(request, reverse("group_detail", args=[pk])))


# --- My groups -------------------------------------------------------------------------------


@require_safe
def my_groups(request: HttpRequest) -> HttpResponse:
    decider = _with_decider(request)
    panel = decider.groups_panel()
    context = {"nav_active": "my_groups", "panel": panel}
    if panel:
        joined = _page(
            request, selectors.groups_im_in(request.user, decider=decider), param="joined"
        )
        joined.object_list = list(joined.object_list)
        for group in joined:
            group.can_leave = decider.can(Action.LEAVE, group)  # read from the row, no query
        context |= {
            "owned": _page(
                request, selectors.groups_i_own(request.user, decider=decider), param="owned"
            ),
            "joined": joined,
            "pending": selectors.my_pending_requests(request.user, decider=decider),
            "recent_decisions": selectors.my_recent_decisions(request.user),
            "can_create_any": bool(decider.creatable_types()),
            "sections": extensions.my_groups_sections(request),
        }
        if context["pending"]:
            context["waits_for"] = decider.request_waits_for()
    return render(request, "groups/my_groups.html", context)


# --- Discover groups -------------------------------------------------------------------------


@dataclass
class GroupRow:
    """A directory row with what the viewer can do, decided in the row's own query."""

    group: Group
    join: Decision
    leave: Decision


@require_safe
@vary_on_headers("HX-Request")
@groups_panel
def discover_groups(request: HttpRequest) -> HttpResponse:
    filters = selectors.GroupFilters.from_query(request.GET, search=search_term(request.GET))
    page = selectors.directory_page(
        request.user, request.GET, filters=filters, decider=request.decider
    )
    decider = request.decider
    rows = [GroupRow(g, decider.can(Action.JOIN, g), decider.can(Action.LEAVE, g)) for g in page]
    context = {
        "nav_active": "discover",
        "page": page,
        "rows": rows,
        "filters": filters,
        "group_types": GroupType.choices,
        "policies": MembershipPolicy.choices,
        "can_create_any": bool(decider.creatable_types()),
    }
    return render(request, _full_or_partial(request, "groups/discover.html", "results"), context)


# --- Create and edit -------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@groups_panel
def create_group(request: HttpRequest) -> HttpResponse:
    """Create group. The action decides (setting, license, limit); a refusal is a form error."""
    types = request.decider.creatable_types()
    if not types:
        request.decider.create(
            group_type=GroupType.SECURITY,
            membership_policy=MembershipPolicy.OPEN,
            source=GroupSource.ACCESS_PANEL,
        ).require()
    form = GroupForm(request.POST or None, group_types=types, submit_label="Create group")
    if request.method == "POST" and form.is_valid():
        try:
            group = actions.create_group(
                actor=request.actor, source=GroupSource.ACCESS_PANEL, **form.cleaned_data
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, f"Group “{group.display_name}” created. You're its owner.")
            return redirect("group_detail", pk=group.pk)
    return render(request, "groups/group_form.html", {"form": form, "title": "Create group"})


@require_http_methods(["GET", "HEAD", "POST"])
@groups_panel
def edit_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.EDIT)
    initial = {name: getattr(group, name) for name in actions.EDITABLE_GROUP_FIELDS}
    form = GroupForm(request.POST or None, initial=initial, submit_label="Save")
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_group(group, actor=request.actor, **form.cleaned_data)
        except Refusal as refusal:
            show_refusal(form, refusal)
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
    actions.delete_group(group, actor=request.actor)
    messages.success(request, f"Group “{group.display_name}” deleted.")
    return redirect("my_groups")


# --- Group page ------------------------------------------------------------------------------


def _group_page(request: HttpRequest, pk: int, *, join_form: JoinForm | None = None):
    decider = request.decider
    groups = selectors.with_viewer_status(
        selectors.visible_groups(request.user, decider=decider), request.user
    )
    groups = selectors.with_viewer_membership_end(groups, request.user)
    group = get_object_or_404(decider.annotate(groups, GROUP_PAGE_ACTIONS), pk=pk)
    can = {action.value: decider.can(action, group) for action in GROUP_PAGE_ACTIONS}
    can["nest"] = can["manage_members"] and nests(group)
    owners = list(selectors.group_owners(group))
    latest = selectors.my_latest_request(group, request.user)
    pending = latest is not None and latest.status == JoinRequest.Status.PENDING
    expires_at = lifecycle.expires_at(group, LifecycleSettings.for_tenant(group.tenant_id))
    context = {
        "expires_at": expires_at,
        "membership_options": MembershipOptionsForm(
            initial={
                "default_membership_days": group.default_membership_days,
                "members_can_renew": group.members_can_renew,
            }
        ),
        "group": group,
        "can": can,
        "owners": owners,
        "can_remove_owner": can["manage_owners"]
        and decider.remove_owner(group, owner_count=len(owners)),
        "join_form": join_form or JoinForm(),
        "my_request": latest if pending else None,
        "my_last_decision": None if pending else latest,
        "waits_for": decider.request_waits_for() if pending else "",
        "owners_picker_query": picker_query(group, "owners"),
    }
    if can["view_members"]:
        context |= _members_context(request, group)
    if can["view_requests"]:
        group_requests = []
        if group.pending_count:  # kept exact by the actions (groups/counts.py): no query for 0
            waiting = selectors.pending_requests_of_group(group, request.user, decider=decider)
            group_requests = list(waiting[:50])
        # An open group has no requests to decide: no section (and no "you can't approve").
        context["show_requests"] = bool(group_requests) or (
            group.membership_policy == MembershipPolicy.OWNER_APPROVAL
        )
        context["group_requests"] = group_requests
    context["sections"] = extensions.group_page_sections(request, group, can)
    return render(request, "groups/group_detail.html", context)


@require_safe
@groups_panel
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _group_page(request, pk)


def _members_context(request: HttpRequest, group: Group) -> dict:
    search = search_term(request.GET, "mq")
    return {
        "members_page": selectors.group_members_page(
            group, request.GET, search=search, size=PAGE_SIZE
        ),
        "mq": search,
        "nested": selectors.nested_groups(group),
    }


@require_safe
@vary_on_headers("HX-Request")
@groups_panel
def group_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The member list alone (HTMX search and pagination on the group page)."""
    group = _group_for(request, pk, require=Action.VIEW_MEMBERS, also=[Action.MANAGE_MEMBERS])
    context = {"group": group, **_members_context(request, group)}
    manage = request.decider.can(Action.MANAGE_MEMBERS, group)
    context["can"] = {"manage_members": manage, "nest": manage and nests(group)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "groups/group_detail.html#members", context)
    return redirect(f"{reverse('group_detail', args=[pk])}?mq={context['mq']}")


@require_safe
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


@require_POST
@groups_panel
def join_group(request: HttpRequest, pk: int) -> HttpResponse:
    """Join group / Request to join. A bad justification is shown at its field on the page."""
    group = _group_for(request, pk)
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            actions.request_to_join(
                group, actor=request.actor, justification=form.cleaned_data["justification"]
            )
        except Refusal as refusal:
            if refusal.field != "justification":
                raise
            show_refusal(form, refusal)
        else:
            if group.membership_policy == MembershipPolicy.OPEN:
                messages.success(request, f"You joined “{group.display_name}”.")
            else:
                messages.success(
                    request, f"Request sent. The owners of “{group.display_name}” will decide."
                )
            return _back_to_group(request, pk)
    return _group_page(request, pk, join_form=form)


@require_POST
@groups_panel
def leave_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk)
    actions.leave_group(group, actor=request.actor)
    messages.success(request, f"You left “{group.display_name}”.")
    return _back_to_group(request, pk)


def _visible_request(request: HttpRequest, pk: int) -> JoinRequest:
    return get_object_or_404(
        selectors.visible_requests(request.user, decider=request.decider), pk=pk
    )


@require_POST
@groups_panel
def cancel_request(request: HttpRequest, pk: int) -> HttpResponse:
    actions.cancel_request(_visible_request(request, pk), actor=request.actor)
    messages.success(request, "Request cancelled.")
    return redirect(safe_next(request, reverse("my_groups")))


@dataclass(frozen=True)
class DecisionUrls:
    """The URL names a surface decides requests through (the Admin center has its own, so
    its decisions are audited as made there)."""

    approve: str = "approve_request"
    deny: str = "deny_request"


def respond_to_decision(
    request: HttpRequest, pk: int, decision: str, *, back: str, urls: DecisionUrls
) -> HttpResponse:
    """Approve or Deny one request as `request.actor`; HTMX swaps the row in place, with any
    refusal in it. Shared by the panel and the Admin center."""
    join_request = _visible_request(request, pk)
    form = DecisionForm(request.POST)
    decide = actions.approve_request if decision == "approve" else actions.deny_request
    done = "approved" if decision == "approve" else "denied"
    try:
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            raise Invalid(" ".join(errors), field=field)
        ends = end_of_day(form.cleaned_data["ends_on"])
        decide(
            join_request,
            actor=request.actor,
            reason=form.cleaned_data["reason"],
            **({"ends_at": ends} if decision == "approve" else {}),
        )
    except Refusal as refusal:
        if not request.htmx:
            raise
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            f"{join_request.requester.display_name}'s request to join "
            f"“{join_request.group.display_name}” {done}.",
        )
    if not request.htmx:
        return redirect(safe_next(request, back))
    decided = selectors.visible_requests(request.user, decider=request.decider).filter(pk=pk)
    join_request = decided.first()
    if join_request is None:  # it went with its group meanwhile
        raise NotFound("This request no longer exists: its group was deleted.")
    context = {
        "req": join_request,
        "decision_urls": urls,
        "pending_count": selectors.pending_count(request.user, decider=request.decider),
    }
    return render(request, "groups/approvals.html#decided_row", context)


@require_POST
@groups_panel
def decide_request(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    return respond_to_decision(
        request, pk, decision, back=reverse("approvals"), urls=DecisionUrls()
    )


# --- Approvals -------------------------------------------------------------------------------


@require_safe
@groups_panel
def approvals(request: HttpRequest) -> HttpResponse:
    decider = request.decider
    context = {
        "nav_active": "approvals",
        "page": selectors.requests_to_decide_page(
            request.user, request.GET, decider=decider, size=APPROVALS_PAGE
        ),
        "recent": selectors.recently_decided(request.user, decider=decider),
        "deciding": decider.for_every_group(Action.DECIDE_REQUESTS),
        "scope": "tenant" if decider.actor.administers_tenant else "owned",
    }
    return render(request, "groups/approvals.html", context)


MAX_SELECTED = 500


def respond_to_approve_selected(request: HttpRequest, *, back: str) -> HttpResponse:
    """Approve selected: one set-based action for every ticked request (panel, Admin center)."""
    ids = _posted_ids(request, "request")[:MAX_SELECTED]
    if not ids:
        messages.error(request, "Select at least one request to approve.")
        return redirect(back)
    visible = selectors.visible_requests(request.user, decider=request.decider).filter(pk__in=ids)
    result = actions.close_requests(
        list(visible.values_list("pk", flat=True)),
        actor=request.actor,
        status=JoinRequest.Status.APPROVED,
    )
    if result.decided:
        count = len(result.decided)
        messages.success(request, f"Approved {count} request{'s' if count != 1 else ''}.")
    elif not result.refused:
        messages.error(request, "None of the selected requests is waiting for your decision.")
    for join_request, refusal in result.refused:
        messages.error(request, f"{join_request.requester.display_name}: {refusal.message}")
    return redirect(safe_next(request, back))


@require_POST
@groups_panel
def approve_selected(request: HttpRequest) -> HttpResponse:
    return respond_to_approve_selected(request, back=reverse("approvals"))


# --- Members and owners (owners' tools) ------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@groups_panel
def add_members(request: HttpRequest, pk: int) -> HttpResponse:
    """Add members: pick people, or paste/upload many → preview → confirm."""
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    if request.method == "POST" and "confirm" in request.POST:
        people = _picked_people(request, typed_field="q")
        end = MembershipEndForm(request.POST)
        if not people or not end.is_valid():
            messages.error(request, _why_not_added(people, end))
            return redirect("add_members", pk=group.pk)
        ends_at = end_of_day(end.cleaned_data["ends_on"])
        _report_added(
            request,
            actions.add_members(group, actor=request.actor, people=people, ends_at=ends_at),
        )
        return redirect("group_detail", pk=group.pk)
    form = BulkMembersForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = selectors.preview_add_members(group, request.user, form.cleaned_data["entries"])
    context = {
        "group": group,
        "form": form,
        "preview": preview,
        "picker_query": picker_query(group, "members"),
    }
    return render(request, "groups/add_members.html", context)


def picker_query(group: Group, mark: str) -> str:
    """The people picker's search query that marks the group's members or owners."""
    return f"?{urlencode({'group': group.pk, 'mark': mark})}"


def _picked_people(request: HttpRequest, *, typed_field: str) -> list[User]:
    """The people picker's choice: its chips (`user` ids of the viewer's tenant) or, without
    JavaScript, one email address typed in its search box (`typed_field`)."""
    people = selectors.people_by_ids(request.user, _posted_ids(request, "user"))
    typed = request.POST.get(typed_field, "").strip().lower()
    if people or not typed:
        return people
    person = selectors.person_by_email(request.user, typed) if is_email(typed) else None
    if person is None:
        raise Invalid(
            f"No one in your organisation has the email address “{typed}”.", field=typed_field
        )
    return [person]


def _why_not_added(people: list[User], end: MembershipEndForm) -> str:
    if not people:
        return "Select at least one person to add."
    return "Membership end date: " + " ".join(end.errors.get("ends_on", []))


def _report_added(request: HttpRequest, result: selectors.AddMembersResult) -> None:
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
    people = selectors.people_by_ids(request.user, [int(user_id)] if is_id(user_id) else [])
    if not people:
        raise Http404("No such person in your organisation.")
    return people[0]


@require_POST
@groups_panel
def remove_member(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    person = _posted_person(request)
    actions.remove_member(group, actor=request.actor, person=person)
    messages.success(request, f"{person.display_name} removed from the group.")
    return _back_to_group(request, pk)


@require_POST
@groups_panel
def add_owner(request: HttpRequest, pk: int) -> HttpResponse:
    """Add owners: everyone picked becomes an owner; each refusal is its own message."""
    group = _group_for(request, pk, require=Action.MANAGE_OWNERS)
    people = _picked_people(request, typed_field="email")
    if not people:
        raise Invalid("Pick at least one person to make an owner.", field="email")
    added = []
    for person in people:
        try:
            actions.add_owner(group, actor=request.actor, person=person)
        except Refusal as refusal:
            messages.error(request, f"{person.display_name}: {refusal.message}")
        else:
            added.append(person.display_name)
    if added:
        names = ", ".join(added)
        messages.success(request, f"{names} {'is' if len(added) == 1 else 'are'} now an owner.")
    return _back_to_group(request, pk)


@require_POST
@groups_panel
def remove_owner(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_OWNERS)
    person = _posted_person(request)
    actions.remove_owner(group, actor=request.actor, person=person)
    messages.success(request, f"{person.display_name} is no longer an owner.")
    return _back_to_group(request, pk)


PICKER_MARKS = {
    # ?mark=…: who is marked in the results, and what they may see to be marked
    "members": (Action.VIEW_MEMBERS, "Already a member"),
    "owners": (Action.VIEW, "Already an owner"),
}


@require_safe
@groups_panel
def people_search(request: HttpRequest) -> HttpResponse:
    """The people picker's results: the viewer's tenant directory, 10 at a time, each with an
    Add button; with `group` and `mark`, its members (or owners) are marked and not offered.
    With `as=options`, the same people as <option>s for a <datalist>."""
    # The typed text arrives under the input's own name (q, email or person).
    search = next(
        (term for name in ("q", "email", "person") if (term := search_term(request.GET, name))), ""
    )
    people = (
        list(selectors.tenant_people(request.user, search=search)[:10]) if len(search) >= 2 else []
    )
    if request.GET.get("as") == "options":  # <option>s for a <datalist> (one person per field)
        return render(request, "groups/people_datalist.html", {"people": people})
    mark = PICKER_MARKS.get(request.GET.get("mark", ""))
    group_id = request.GET.get("group", "")
    already: set[int] = set()
    if mark and people and is_id(group_id):
        group = _group_for(request, int(group_id), require=mark[0])
        already = selectors.already_in(group, people, owners=mark is PICKER_MARKS["owners"])
    context = {
        "people": [(person, person.pk in already) for person in people],
        "q": search,
        "already_label": mark[1] if mark else "",
    }
    return render(request, "groups/people_options.html", context)


@require_safe
@groups_panel
def group_options(request: HttpRequest) -> HttpResponse:
    """Group names for a <datalist> (nesting a group, giving a group access); `nestable=1`
    offers only security groups."""
    search = search_term(request.GET, "group") or search_term(request.GET)
    found = selectors.groups_named(
        request.user, search=search, nestable=request.GET.get("nestable") == "1"
    )
    return render(
        request, "groups/group_options.html", {"groups": found if len(search) >= 2 else []}
    )


def _posted_group(request: HttpRequest, field: str = "group") -> Group:
    """The group named in the form's field, from the viewer's tenant, or a message."""
    name = request.POST.get(field, "").strip()
    group = selectors.group_named(request.user, name)
    if group is None:
        raise Invalid(f"No group called “{name}” in your organisation.", field=field)
    return group


@require_POST
@groups_panel
def nest_group(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a nested group: its members count for this group's access."""
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    child = _posted_group(request)
    actions.nest_group(group, actor=request.actor, child=child)
    messages.success(request, f"“{child.display_name}” is now nested in this group.")
    return _back_to_group(request, pk)


@require_POST
@groups_panel
def unnest_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    child = selectors.nested_group(group, request.POST.get("group", ""))
    actions.unnest_group(group, actor=request.actor, child=child)
    messages.success(request, f"“{child.display_name}” is no longer nested in this group.")
    return _back_to_group(request, pk)
