"""Admin center: a global admin runs their tenant from the browser.

Every page is for global admins only (others get 403), scoped to the admin's tenant; every
write is an action (so it is audited), every read goes through tenant-scoped selectors.
Groups open on the panel's group page, where a global admin may do everything.
"""

import json
from datetime import datetime, time, timedelta
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups import actions as group_actions
from groups import selectors
from groups.forms import GroupForm, search_term
from groups.models import Group, GroupSource, GroupType, MembershipPolicy, Ownership
from groups.policy import Decider
from tenants import actions
from tenants.csv_export import streaming_csv
from tenants.errors import DomainError
from tenants.forms import AuditFilterForm, GeneralSettingsForm, UserChangeForm
from tenants.models import AuditEvent, GeneralSettings, User

PAGE_SIZE = 50


def admin_center_view(view):
    """Global admins only; the request carries the admin's Decider (settings read once)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_global_admin:
            raise PermissionDenied("Only global admins can open the Admin center.")
        request.decider = Decider(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, f"admin_center/{template}", {"nav_active": "admin_center", **context})


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
@admin_center_view
def home(request: HttpRequest) -> HttpResponse:
    return redirect("admin_center:settings")


# --- General settings ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@admin_center_view
def general_settings(request: HttpRequest) -> HttpResponse:
    tenant = request.user.tenant
    current = request.decider.settings
    initial = {field: getattr(current, field) for field in GeneralSettings.FIELDS}
    initial["selected_owner_assigners"] = "\n".join(
        current.selected_owner_assigners.order_by("email").values_list("email", flat=True)
    )
    form = GeneralSettingsForm(request.POST or None, initial=initial, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        values = {field: form.cleaned_data[field] for field in GeneralSettings.FIELDS}
        try:
            actions.update_general_settings(
                tenant,
                acting_user=request.user,
                selected_owner_assigners=form.cleaned_data["selected_owner_assigners"],
                **values,
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, "General settings saved. They apply from everyone's next page."
            )
            return redirect("admin_center:settings")
    return _render(request, "settings.html", {"form": form, "tab": "settings"})


# --- Groups ----------------------------------------------------------------------------------


@require_GET
@admin_center_view
def groups(request: HttpRequest) -> HttpResponse:
    search = search_term(request.GET)
    filters = {
        "group_type": (request.GET.get("type", ""), GroupType.values),
        "source": (request.GET.get("source", ""), GroupSource.values),
        "membership_policy": (request.GET.get("policy", ""), MembershipPolicy.values),
    }
    rows = selectors.visible_groups(request.user, decider=request.decider)
    if search:
        rows = rows.filter(Q(display_name__icontains=search) | Q(description__icontains=search))
    for field, (value, allowed) in filters.items():
        if value in allowed:
            rows = rows.filter(**{field: value})
    ownerless = request.GET.get("ownerless") == "1"
    if ownerless:
        rows = rows.filter(~Exists(Ownership.objects.filter(group=OuterRef("pk"))))
    rows = selectors.with_owners(rows).order_by("display_name", "id")
    context = {
        "tab": "groups",
        "page": _page(request, rows),
        "q": search,
        "type": filters["group_type"][0],
        "source": filters["source"][0],
        "policy": filters["membership_policy"][0],
        "ownerless": ownerless,
        "group_types": GroupType.choices,
        "sources": GroupSource.choices,
        "policies": MembershipPolicy.choices,
    }
    return _render(request, "groups.html", context)


@require_http_methods(["GET", "POST"])
@admin_center_view
def create_group(request: HttpRequest) -> HttpResponse:
    """Create as admin: source admin_center, so no owner is assigned automatically."""
    form = GroupForm(
        request.POST or None, group_types=list(GroupType.values), submit_label="Create group"
    )
    form.fields["membership_policy"].required = False
    form.fields[
        "membership_policy"
    ].help_text = "Leave as is for the default: security groups closed, Microsoft 365 groups open."
    if request.method == "GET":
        form.initial["membership_policy"] = None
    if request.method == "POST" and form.is_valid():
        try:
            group = group_actions.create_group(
                acting_user=request.user,
                source=GroupSource.ADMIN_CENTER,
                display_name=form.cleaned_data["display_name"],
                description=form.cleaned_data["description"],
                group_type=form.cleaned_data["group_type"],
                membership_policy=form.cleaned_data["membership_policy"] or None,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request, f"Group “{group.display_name}” created. Now assign its owners."
            )
            return redirect("group_detail", pk=group.pk)
    return _render(request, "group_form.html", {"form": form, "tab": "groups"})


# --- Requests --------------------------------------------------------------------------------


@require_GET
@admin_center_view
def requests(request: HttpRequest) -> HttpResponse:
    pending = selectors.requests_to_decide(request.user, decider=request.decider)
    return _render(request, "requests.html", {"tab": "requests", "page": _page(request, pending)})


# --- Users -----------------------------------------------------------------------------------


def _seats(tenant) -> dict:
    used = tenant.premium_seat_holders().count()
    return {
        "used": used,
        "total": tenant.premium_seats,
        "free": max(tenant.premium_seats - used, 0),
    }


@require_GET
@admin_center_view
def users(request: HttpRequest) -> HttpResponse:
    search = search_term(request.GET)
    people = User.objects.filter(tenant_id=request.user.tenant_id)
    if search:
        people = people.filter(Q(display_name__icontains=search) | Q(email__icontains=search))
    context = {
        "tab": "users",
        "page": _page(request, people.order_by("display_name", "id")),
        "q": search,
        "seats": _seats(request.user.tenant),
        "roles": User.Role.choices,
    }
    return _render(request, "users.html", context)


@require_POST
@admin_center_view
def change_user(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk, tenant_id=request.user.tenant_id)
    form = UserChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect(_back(request))
    try:
        actions.update_user(person, acting_user=request.user, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{person.display_name} saved.")
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/admin-center/") else "/admin-center/users/"


# --- Audit log -------------------------------------------------------------------------------


def _filtered_events(request: HttpRequest, form: AuditFilterForm):
    events = AuditEvent.objects.filter(tenant_id=request.user.tenant_id)
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    if data["actor"]:
        events = events.filter(actor_label__icontains=data["actor"])
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["group"]:
        ids = Group.objects.filter(
            tenant_id=request.user.tenant_id, display_name__icontains=data["group"]
        ).values_list("pk", flat=True)
        events = events.filter(target_type="group").filter(
            Q(target_id__in=[str(pk) for pk in ids]) | Q(target_label__icontains=data["group"])
        )
    if data["person"]:
        person = User.objects.filter(
            tenant_id=request.user.tenant_id, email__iexact=data["person"]
        ).first()
        pk = person.pk if person else 0
        events = events.filter(
            Q(target_type="user", target_id=str(pk))
            | Q(data__user__id=pk)
            | Q(data__requester__id=pk)
        )
    zone = timezone.get_current_timezone()
    if data["since"]:
        events = events.filter(created_at__gte=datetime.combine(data["since"], time.min, zone))
    if data["until"]:
        end = datetime.combine(data["until"] + timedelta(days=1), time.min, zone)
        events = events.filter(created_at__lt=end)
    return events.order_by("-created_at", "-id")


@require_GET
@admin_center_view
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET, tenant=request.user.tenant)
    events = _filtered_events(request, form)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "tab": "audit",
        "form": form,
        "page": _page(request, events),
        "query": query.urlencode(),
    }
    return _render(request, "audit.html", context)


@require_GET
@admin_center_view
def audit_log_csv(request: HttpRequest):
    """Every filtered event, streamed row by row; no cap, flat memory."""
    form = AuditFilterForm(request.GET, tenant=request.user.tenant)
    events = _filtered_events(request, form)
    columns = ("created_at", "actor_label", "action", "target_type", "target_id", "target_label")
    rows = (
        (*row[:-1], json.dumps(row[-1], ensure_ascii=False))
        for row in events.values_list(*columns, "data").iterator(chunk_size=2000)
    )
    header = ("time", "actor", "action", "target_type", "target_id", "target", "data")
    return streaming_csv(header, rows, f"audit-log-{timezone.now():%Y%m%d-%H%M}.csv")
