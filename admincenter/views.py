"""Admin center: a global admin runs their tenant from the browser.

Every page is for global admins only (others get 403), scoped to the admin's tenant; every
write is an action with the admin acting through the Admin center (so it is audited as such),
every read is a selector. Groups open on the panel's group page, where a global admin may do
everything. This app stands on every domain below it (tenants, groups, applications, scim);
nothing below imports it.
"""

import dataclasses
import json
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from admincenter import charts
from admincenter.forms import (
    AuditFilterForm,
    GeneralSettingsForm,
    LifecycleSettingsForm,
    RequestHistoryForm,
    ScimTokenForm,
    UserChangeForm,
)
from groups import actions as group_actions
from groups import lifecycle
from groups import selectors as group_selectors
from groups import views as group_views
from groups.forms import GroupForm, search_term
from groups.models import GroupSource, GroupType, JoinRequest, MembershipPolicy
from groups.policy import Decider
from provisioning import selectors as provisioning_selectors
from scim.actions import create_scim_token, revoke_scim_token
from scim.models import ScimClient
from tenants import actions
from tenants import audit as audit_words
from tenants import selectors as tenant_selectors
from tenants.actors import Surface
from tenants.csv_export import streaming_csv
from tenants.errors import NotAllowed, NotFound, Refusal
from tenants.models import GeneralSettings, LifecycleSettings, User
from tenants.pagination import AFTER, BEFORE, MANY, keyset_page
from tenants.permissions import may_change_standing
from tenants.selectors import AuditFilters
from tenants.web import (
    acting_person,
    keep_secret_for_next_page,
    safe_next,
    secret_kept,
    show_refusal,
)

PAGE_SIZE = 50
NEWEST_FIRST = ("-created_at", "-id")


def admin_center_view(view):
    """Global admins only; the request carries the admin as actor and their Decider."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_global_admin:
            raise NotAllowed("Only global admins can open the Admin center.")
        request.actor = acting_person(request, Surface.ADMIN_CENTER)
        request.decider = Decider(request.actor)
        return view(request, *args, **kwargs)

    return wrapper


def render_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, f"admin_center/{template}", {"nav_active": "admin_center", **context})


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def provisioning_log_url(application_id: int | None = None, **filters: str) -> str:
    """The provisioning log, filtered to one application (and more)."""
    query = urlencode({"application": application_id or "", **filters})
    return f"{reverse('admin_center:provisioning_log')}?{query}"


REQUEST_SERIES = [
    charts.Series(JoinRequest.Status.APPROVED, "Approved", "approved"),
    charts.Series(JoinRequest.Status.DENIED, "Denied", "denied"),
    charts.Series(JoinRequest.Status.EXPIRED, "Expired", "expired"),
    charts.Series(JoinRequest.Status.PENDING, "Pending", "pending"),
]
OVERVIEW_DAYS = 30


def filtered_list(
    request: HttpRequest,
    *,
    form,
    rows,
    tab: str,
    template: str,
    describe=None,
    order: tuple[str, ...] = NEWEST_FIRST,
) -> HttpResponse:
    """A filtered list page (Audit log, Request history, Provisioning log), newest first
    (`order`), by cursor (keyset: any page costs what the first does); its total is counted
    up to 10,000 ("10,000+").
    Its filters stay in the export link (`query`, without the cursor); `describe` dresses
    each row of the page."""
    query = request.GET.copy()
    for cursor in ("page", AFTER, BEFORE):
        query.pop(cursor, None)
    page = keyset_page(rows, request.GET, order=order, size=PAGE_SIZE)
    page.total = rows.order_by()[: MANY + 1].count()
    for row in page if describe else ():
        describe(row)
    context = {"tab": tab, "form": form, "page": page, "query": query.urlencode()}
    return render_page(request, template, context)


@require_safe
@admin_center_view
def overview(request: HttpRequest) -> HttpResponse:
    """The Admin center's home: the tenant at a glance, in pictures with their numbers.

    Six queries whatever the tenant's size (tests/admincenter/test_overview.py).
    """
    tenant_id = request.user.tenant_id
    now = timezone.now()
    days = group_selectors.requests_per_day(
        tenant_id, days=OVERVIEW_DAYS, today=timezone.localdate(now)
    )
    ages = group_selectors.pending_by_age(tenant_id, now=now)
    types = group_selectors.ownership_by_type(tenant_id)
    busiest = group_selectors.busiest_groups(tenant_id)
    per_day = charts.stacked_columns(days, REQUEST_SERIES)
    seats = tenant_selectors.premium_seats(request.user.tenant)
    groups_url = reverse("admin_center:groups")
    context = {
        "tab": "overview",
        "per_day": per_day,
        "first_day": days[0][0],
        "last_day": days[-1][0],
        "legend": [(one, per_day.totals[one.key]) for one in REQUEST_SERIES],
        "requests_total": sum(per_day.totals.values()),
        "series": REQUEST_SERIES,
        "day_rows": [(day, [counts[one.key] for one in REQUEST_SERIES]) for day, counts in days],
        "ages": charts.bars(ages),
        "pending_total": sum(count for _, count in ages),
        "types": types,
        "ownerless": charts.bars(
            [(label, ownerless) for label, total, ownerless in types if total],
            maximum=max((total for _, total, _ in types), default=0),
        ),
        "ownerless_total": sum(ownerless for _, _, ownerless in types),
        "groups_total": sum(total for _, total, _ in types),
        "ownerless_url": f"{groups_url}?ownerless=1",
        "busiest": charts.bars(
            [(name, count, reverse("group_detail", args=[pk])) for pk, name, count in busiest]
        ),
        "seats": seats,
        "seats_row": charts.bars([("Used", seats.used)], maximum=max(seats.total, seats.used)),
        "provisioning_failures": [
            (row, provisioning_log_url(row["application_id"]))
            for row in provisioning_selectors.recent_failures(tenant_id)
        ],
        "provisioning_log": reverse("admin_center:provisioning_log"),
    }
    return render_page(request, "overview.html", context)


# --- General settings ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@admin_center_view
def general_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.user.tenant
    current = request.decider.settings
    selected = tenant_selectors.selected_owner_assigners(current)
    initial = {name: getattr(current, name) for name in GeneralSettings.FIELDS}
    initial["selected_owner_assigners"] = [person.pk for person in selected]
    form = GeneralSettingsForm(request.POST or None, initial=initial, tenant=tenant)
    if request.method == "POST":
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in GeneralSettings.FIELDS}
            try:
                actions.update_general_settings(
                    tenant,
                    actor=request.actor,
                    selected_owner_assigners=list(form.cleaned_data["selected_owner_assigners"]),
                    **values,
                )
            except Refusal as refusal:
                show_refusal(form, refusal)
            else:
                messages.success(
                    request, "General settings saved. They apply from everyone's next page."
                )
                return redirect("admin_center:settings")
        # The chips show what was posted (the people of this tenant among it).
        selected = tenant_selectors.people_by_ids(
            tenant.pk, form["selected_owner_assigners"].value() or []
        )
    context = {"form": form, "tab": "settings", "selected_assigners": selected}
    return render_page(request, "settings.html", context)


# --- Groups ----------------------------------------------------------------------------------


@require_safe
@admin_center_view
def groups(request: HttpRequest) -> HttpResponse:
    filters = group_selectors.GroupFilters.from_query(request.GET, search=search_term(request.GET))
    rows = group_selectors.admin_directory(request.user, filters=filters, decider=request.decider)
    context = {
        "tab": "groups",
        "page": _page(request, rows),
        "filters": filters,
        "group_types": GroupType.choices,
        "sources": GroupSource.choices,
        "policies": MembershipPolicy.choices,
    }
    return render_page(request, "groups.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@admin_center_view
def create_group(request: HttpRequest) -> HttpResponse:
    """Create as admin: source admin_center, so no owner is assigned automatically."""
    form = GroupForm(
        request.POST or None,
        group_types=list(GroupType.values),
        submit_label="Create group",
        default_policy_choice=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            group = group_actions.create_group(
                actor=request.actor,
                source=GroupSource.ADMIN_CENTER,
                display_name=form.cleaned_data["display_name"],
                description=form.cleaned_data["description"],
                group_type=form.cleaned_data["group_type"],
                membership_policy=form.cleaned_data["membership_policy"] or None,
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(
                request, f"Group “{group.display_name}” created. Now assign its owners."
            )
            return redirect("group_detail", pk=group.pk)
    return render_page(request, "group_form.html", {"form": form, "tab": "groups"})


# --- Requests --------------------------------------------------------------------------------


ADMIN_CENTER_DECISIONS = group_views.DecisionUrls(
    approve="admin_center:approve_request", deny="admin_center:deny_request"
)


@require_safe
@admin_center_view
def requests(request: HttpRequest) -> HttpResponse:
    context = {
        "tab": "requests",
        "page": group_selectors.requests_to_decide_page(
            request.user, request.GET, decider=request.decider, size=PAGE_SIZE
        ),
        "decision_urls": ADMIN_CENTER_DECISIONS,
    }
    return render_page(request, "requests.html", context)


@require_POST
@admin_center_view
def decide_request(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve or Deny from the Admin center (audited as made there)."""
    return group_views.respond_to_decision(
        request, pk, decision, back=reverse("admin_center:requests"), urls=ADMIN_CENTER_DECISIONS
    )


@require_POST
@admin_center_view
def approve_selected(request: HttpRequest) -> HttpResponse:
    return group_views.respond_to_approve_selected(request, back=reverse("admin_center:requests"))


# --- Users -----------------------------------------------------------------------------------


@require_safe
@admin_center_view
def users(request: HttpRequest) -> HttpResponse:
    search = search_term(request.GET)
    page = _page(request, tenant_selectors.people(request.user.tenant_id, search=search))
    for person in page:  # the view hands the template the rule's answer, row by row
        person.standing_locked = not may_change_standing(request.actor, person)
    context = {
        "tab": "users",
        "page": page,
        "q": search,
        "seats": tenant_selectors.premium_seats(request.user.tenant),
        "roles": User.Role.choices,
    }
    return render_page(request, "users.html", context)


@require_POST
@admin_center_view
def change_user(request: HttpRequest, pk: int) -> HttpResponse:
    person = tenant_selectors.person(request.user.tenant_id, pk)
    form = UserChangeForm(request.POST)
    back = safe_next(request, "/admin-center/users/")
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect(back)
    actions.update_user(person, actor=request.actor, **form.cleaned_data)
    messages.success(request, f"{person.display_name} saved.")
    return redirect(back)


@require_POST
@admin_center_view
def change_email(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's sign-in address (people can't change their own: it comes from here)."""
    person = tenant_selectors.person(request.user.tenant_id, pk)
    old_email = person.email
    person = actions.change_email(
        person, new_email=request.POST.get("email", ""), actor=request.actor
    )
    if person.email != old_email:
        messages.success(request, f"{person.display_name} now signs in as {person.email}.")
    return redirect(safe_next(request, reverse("admin_center:users")))


# --- Audit log -------------------------------------------------------------------------------


def _audit_events(request: HttpRequest, form: AuditFilterForm):
    if not form.is_valid():
        return tenant_selectors.audit_events(request.user.tenant_id, AuditFilters()).none()
    filters = form.filters()
    if filters.group:
        group_ids = group_selectors.group_ids_named(request.user.tenant_id, filters.group)
        filters = dataclasses.replace(filters, group_ids=group_ids)
    return tenant_selectors.audit_events(request.user.tenant_id, filters)


@require_safe
@admin_center_view
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    rows = _audit_events(request, form)
    return filtered_list(
        request, form=form, rows=rows, tab="audit", template="audit.html", describe=_in_words
    )


def _in_words(event) -> None:
    """An audit event as people read it (tenants/audit.py)."""
    event.target_text = audit_words.target(event)
    event.details = audit_words.details(event)


@require_safe
@admin_center_view
def audit_log_csv(request: HttpRequest):
    """Every filtered event, streamed row by row; no cap, flat memory."""
    events = _audit_events(request, AuditFilterForm(request.GET))
    columns = (
        "created_at",
        "actor_label",
        "actor_kind",
        "surface",
        "action",
        "target_type",
        "target_id",
        "target_label",
    )
    rows = (
        (*row[:-1], json.dumps(row[-1], ensure_ascii=False))
        for row in events.values_list(*columns, "data").iterator(chunk_size=2000)
    )
    header = ("time", "actor", "actor_kind", "surface", "action", "target_type", "target_id")
    return streaming_csv(
        (*header, "target", "data"), rows, f"audit-log-{timezone.now():%Y%m%d-%H%M}.csv"
    )


@require_http_methods(["GET", "HEAD", "POST"])
@admin_center_view
def scim_tokens(request: HttpRequest) -> HttpResponse:
    """SCIM tokens: each lets one identity provider provision this tenant over /scim/v2/."""
    form = ScimTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _client, created = create_scim_token(
                request.user.tenant, actor=request.actor, name=form.cleaned_data["name"]
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            keep_secret_for_next_page(request, created)
            return redirect("admin_center:scim_tokens")
    context = {
        "tab": "scim",
        "form": form,
        "created": secret_kept(request),  # shown this once
        "scim_url": request.build_absolute_uri("/scim/v2/"),
        "tokens": ScimClient.objects.filter(tenant_id=request.user.tenant_id).select_related(
            "created_by"
        ),
    }
    return render_page(request, "scim_tokens.html", context)


# --- Reminders and expiration (docs/lifecycle.md) --------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@admin_center_view
def lifecycle_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.user.tenant
    current = LifecycleSettings.for_tenant(tenant.pk)
    initial = {name: getattr(current, name) for name in LifecycleSettings.FIELDS}
    initial["selected_groups"] = "\n".join(
        group_selectors.groups_selected_for_expiration(tenant.pk)
    )
    form = LifecycleSettingsForm(request.POST or None, initial=initial, tenant_id=tenant.pk)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in LifecycleSettings.FIELDS}
        try:
            with transaction.atomic():  # the settings and the selection change together
                actions.update_lifecycle_settings(tenant, actor=request.actor, **values)
                lifecycle.select_groups_for_expiration(
                    tenant.pk, actor=request.actor, groups=form.cleaned_data["selected_groups"]
                )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, "Reminder and expiration settings saved.")
            return redirect("admin_center:lifecycle")
    return render_page(request, "lifecycle.html", {"form": form, "tab": "lifecycle"})


@require_safe
@admin_center_view
def deleted_groups(request: HttpRequest) -> HttpResponse:
    """Expired groups, restorable by global admins for 30 days."""
    page = _page(request, lifecycle.deleted_groups(request.user.tenant_id))
    for group in page:
        group.restorable_until = lifecycle.restorable_until(group)
    return render_page(request, "deleted_groups.html", {"tab": "groups", "page": page})


@require_POST
@admin_center_view
def revoke_scim(request: HttpRequest, pk: int) -> HttpResponse:
    client = ScimClient.objects.filter(pk=pk, tenant_id=request.user.tenant_id).first()
    if client is None:
        raise NotFound("No such SCIM token in your organisation.")
    revoke_scim_token(client, actor=request.actor)
    messages.success(request, f"“{client.name}” revoked: it can no longer provision.")
    return redirect("admin_center:scim_tokens")


@require_POST
@admin_center_view
def restore_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = lifecycle.deleted_group(request.user.tenant_id, pk)
    lifecycle.restore_group(group, actor=request.actor)
    messages.success(request, f"“{group.display_name}” restored, with its members and owners.")
    return redirect("group_detail", pk=group.pk)


# --- Request history -------------------------------------------------------------------------


def _history(request: HttpRequest, form: RequestHistoryForm):
    filters = form.filters() if form.is_valid() else group_selectors.RequestFilters()
    found = group_selectors.request_history(request.user.tenant_id, filters)
    return found if form.is_valid() else found.none()


@require_safe
@admin_center_view
def request_history(request: HttpRequest) -> HttpResponse:
    """Every request ever made in the tenant (none is deleted), searchable, no row cap."""
    form = RequestHistoryForm(request.GET)
    rows = _history(request, form)
    return filtered_list(
        request, form=form, rows=rows, tab="requests", template="request_history.html"
    )


@require_safe
@admin_center_view
def request_history_csv(request: HttpRequest):
    """The filtered history, streamed row by row; no cap, flat memory."""
    rows = _history(request, RequestHistoryForm(request.GET)).values_list(
        "created_at",
        "requester__display_name",
        "requester__email",
        "requester_name",
        "requester_email",
        "group_id",
        "group__display_name",
        "group_name",
        "justification",
        "status",
        "decided_at",
        "decided_by__display_name",
        "decision_reason",
    )
    lines = (
        (
            at,
            name or (f"{kept_name or kept_email} (deleted)" if kept_name or kept_email else ""),
            email or kept_email,
            group_id,
            group or group_name,
            justification,
            status,
            decided_at,
            decided_by or _system(status),
            reason,
        )
        for (
            at,
            name,
            email,
            kept_name,
            kept_email,
            group_id,
            group,
            group_name,
            justification,
            status,
            decided_at,
            decided_by,
            reason,
        ) in rows.iterator(chunk_size=2000)
    )
    header = (
        "requested_at",
        "requester",
        "requester_email",
        "group_id",
        "group",
        "justification",
        "status",
        "decided_at",
        "decided_by",
        "reason",
    )
    return streaming_csv(header, lines, f"requests-{timezone.now():%Y%m%d-%H%M}.csv")


def _system(status: str) -> str:
    """Who decided when no person did: the system (expiry, a deleted group), or nobody yet."""
    return "" if status == "pending" else "System"
