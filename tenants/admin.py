"""Django admin, tenant-scoped: a global admin sees and edits only their own tenant.

Django's admin checks model permissions, not objects (`has_change_permission` ignores `obj`,
a missing object is a redirect, `delete_selected` checks nothing). `TenantScopedAdmin` closes
those gaps: every queryset is filtered to the tenant, every object of another tenant is a 404,
and saves go through actions so they obey the rules and write audit events.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.filters import SimpleListFilter
from django.contrib.auth.models import Group as AuthGroup
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseRedirect

from tenants import actions, outbox
from tenants.actors import Actor, Surface
from tenants.errors import Refusal
from tenants.models import AuditEvent, GeneralSettings, OutboxDelivery, Tenant, User
from tenants.pagination import CappedPaginator
from tenants.permissions import can_administer
from tenants.tasks import deliver_events
from tenants.text import is_id

admin.site.site_header = "Access Panel administration"
admin.site.site_title = "Access Panel admin"
admin.site.index_title = "Your organisation"
admin.site.unregister(AuthGroup)


def admin_actor(request: HttpRequest) -> Actor:
    """The signed-in global admin (or operator) acting through Django admin."""
    return Actor.person(request.user, Surface.DJANGO_ADMIN)


# The query parameters Django admin's own filters send: a declared list filter `f` sends
# `f__exact`, `f__isnull` or, for a relation, `f__id__exact`; a date filter `f__gte`/`f__lt`;
# the date hierarchy `f__year`, `f__month`, `f__day`.
FILTER_SUFFIXES = ("", "__exact", "__isnull", "__id__exact", "__gte", "__lt")
DATE_HIERARCHY_SUFFIXES = ("__year", "__month", "__day")


class DeclaredFiltersOnly(admin.ModelAdmin):
    """Only the declared filters filter; actions' selections must be real ids.

    Django admin allows a lookup on any local field by default, so `?password__startswith=…`
    answered "1 user" or "0 users", and a hash could be read one character at a time. Here a
    lookup that isn't a declared list filter or the date hierarchy is refused (400). An admin
    action posted with a selection that isn't an id (`abc`, `1.5`, empty) is an admin
    message, not a 500.
    """

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return lookup in self.declared_lookups(request) and super().lookup_allowed(
            lookup, value, request
        )

    def declared_lookups(self, request) -> set[str]:
        allowed: set[str] = set()
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, SimpleListFilter):
                allowed.add(item.parameter_name)
                continue
            name = item[0] if isinstance(item, list | tuple) else item
            allowed.update(f"{name}{suffix}" for suffix in FILTER_SUFFIXES)
        if self.date_hierarchy:
            allowed.update(f"{self.date_hierarchy}{s}" for s in DATE_HIERARCHY_SUFFIXES)
        return allowed

    def response_action(self, request, queryset):
        if not all(is_id(value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            self.message_user(
                request,
                "Select the rows with their checkboxes: the selection sent isn't a list of rows.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


def declared_filters_everywhere(site: admin.AdminSite = admin.site) -> None:
    """Give every registered admin, third-party ones too (allauth, django-tasks-db), the
    declared-filters rule. Run once every admin is registered (TenantsConfig.ready)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, DeclaredFiltersOnly):
            continue
        base = type(model_admin)
        site.unregister(model)
        site.register(model, type(f"Declared{base.__name__}", (DeclaredFiltersOnly, base), {}))


class ActionsAdmin(DeclaredFiltersOnly):
    """Saves go through actions (tenants/actions.py, groups/actions.py), so they obey the rules
    and are audited; an action's refusal is an admin message."""

    # Django admin's mapping of refusals (tenants/errors.py): the change rolls back and the
    # refusal is an admin message on the page it came from.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refusal as refusal:
            return _refused(request, refusal)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except Refusal as refusal:
            return _refused(request, refusal)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except Refusal as refusal:
            return _refused(request, refusal)


class TenantScopedAdmin(ActionsAdmin):
    """Global admins: their tenant's rows only. The operator (superuser): every tenant."""

    tenant_path = "tenant"
    actions = None  # no delete_selected: it would bypass actions and audit
    # Directory scale (docs/scale.md): one count per list, and never of a whole big table.
    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if not request.user.is_global_admin:
            return queryset.none()
        return queryset.filter(**{f"{self.tenant_path}_id": request.user.tenant_id})

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        """Another tenant's object (or a missing one) is a 404, not a redirect."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your organisation.")
        return obj

    def _allowed(self, request: HttpRequest, obj=None) -> bool:
        return can_administer(request.user, None if obj is None else self._tenant_id(obj))

    def _tenant_id(self, obj) -> int | None:
        for part in self.tenant_path.split("__")[:-1]:
            obj = getattr(obj, part)
        return getattr(obj, f"{self.tenant_path.split('__')[-1]}_id")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices in related fields are limited to the admin's tenant too."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return scope_choices(field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return scope_choices(field, request)


def _refused(request: HttpRequest, refusal: Refusal) -> HttpResponseRedirect:
    messages.error(request, refusal.message)
    return HttpResponseRedirect(request.get_full_path())


def scope_choices(field, request: HttpRequest):
    """Limit a related field's choices to the admin's tenant (the operator sees all)."""
    if field is None or request.user.is_superuser:
        return field
    model = field.queryset.model
    if model is User:
        field.queryset = field.queryset.filter(tenant_id=request.user.tenant_id)
    elif model is Tenant:
        field.queryset = field.queryset.filter(pk=request.user.tenant_id)
    elif hasattr(model, "tenant_id") or any(f.name == "tenant" for f in model._meta.fields):
        field.queryset = field.queryset.filter(tenant_id=request.user.tenant_id)
    return field


@admin.register(Tenant)
class TenantAdmin(ActionsAdmin):
    """The operator's: tenants, their names and Premium seats (changes audited)."""

    list_display = ["name", "premium_seats", "created_at"]
    fields = ["name", "premium_seats"]
    search_fields = ["name"]
    actions = None

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in form.changed_data}
        actions.update_tenant(obj, actor=admin_actor(request), **values)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return (
            queryset.filter(pk=request.user.tenant_id)
            if request.user.is_global_admin
            else queryset.none()
        )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False  # tenants come with their first admin: manage.py create_tenant

    def has_delete_permission(self, request, obj=None):
        return False


class UserAdminForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "display_name", "tenant", "role", "has_premium_license", "is_active"]


@admin.register(User)
class UserAdmin(TenantScopedAdmin):
    form = UserAdminForm
    list_display = ["email", "display_name", "role", "has_premium_license", "is_active", "tenant"]
    list_filter = ["role", "has_premium_license", "is_active"]
    search_fields = ["email", "display_name"]
    ordering = ["display_name", "email"]

    def get_list_display(self, request):
        display = list(super().get_list_display(request))
        return display if request.user.is_superuser else [f for f in display if f != "tenant"]

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return [*filters, "tenant"] if request.user.is_superuser else filters

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["email", "display_name", "role", "has_premium_license", "is_active"]
        fields = ["email", "display_name", "role", "has_premium_license"]  # new people are active
        return [*fields[:2], "tenant", *fields[2:]] if request.user.is_superuser else fields

    def save_model(self, request, obj, form, change):
        if change:
            if "email" in form.changed_data:  # audited as "Email address changed"
                actions.change_email(
                    obj, new_email=form.cleaned_data["email"], actor=admin_actor(request)
                )
            values = {
                f: form.cleaned_data[f]
                for f in actions.USER_EDITABLE_FIELDS
                if f in form.changed_data
            }
            actions.update_user(obj, actor=admin_actor(request), **values)
            return
        tenant = (
            form.cleaned_data.get("tenant") if request.user.is_superuser else request.user.tenant
        )
        created = actions.create_user(
            form.cleaned_data["email"],
            tenant=tenant,
            actor=admin_actor(request),
            display_name=form.cleaned_data["display_name"],
            role=form.cleaned_data["role"],
            premium=form.cleaned_data["has_premium_license"],
        )
        obj.pk = created.pk


class GeneralSettingsForm(forms.ModelForm):
    class Meta:
        model = GeneralSettings
        fields = [*GeneralSettings.FIELDS, "selected_owner_assigners"]
        widgets = {"owners_who_can_assign_owners": forms.RadioSelect}


@admin.register(GeneralSettings)
class GeneralSettingsAdmin(TenantScopedAdmin):
    form = GeneralSettingsForm
    list_display = ["__str__", *GeneralSettings.FIELDS]
    filter_horizontal = ["selected_owner_assigners"]

    def has_add_permission(self, request):
        return False  # created with the tenant

    def save_model(self, request, obj, form, change):
        values = {f: form.cleaned_data[f] for f in GeneralSettings.FIELDS}
        actions.update_general_settings(
            obj.tenant,
            actor=admin_actor(request),
            selected_owner_assigners=list(form.cleaned_data["selected_owner_assigners"]),
            **values,
        )

    def save_related(self, request, form, formsets, change):
        """The action has already saved the many-to-many field (and audited it)."""


class TargetTypeFilter(admin.SimpleListFilter):
    """What an event changed, from a fixed list (not a DISTINCT over every event)."""

    title = "target type"
    parameter_name = "target_type"

    def lookups(self, request, model_admin):
        kinds = ("tenant", "user", "generalsettings", "lifecyclesettings", "group")
        kinds += ("application", "apitoken", "scimclient", "provisioningtarget", "preference")
        return [(kind, kind) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(target_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    list_display = ["created_at", "actor_label", "surface", "action", "target_type", "target_label"]
    list_filter = ["action", "surface", "actor_kind", TargetTypeFilter]
    search_fields = ["actor_label", "target_label", "action"]
    date_hierarchy = "created_at"  # its dates come from the first and last event: no scan

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request)._calendar_from_range()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # append-only: view only


class FailingFilter(admin.SimpleListFilter):
    title = "trouble"
    parameter_name = "trouble"

    def lookups(self, request, model_admin):
        return [("failing", "Failing (retried 3+ times)"), ("failed", "Gave up")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.filter(status=OutboxDelivery.Status.PENDING, attempts__gte=3)
        if self.value() == "failed":
            return queryset.filter(status=OutboxDelivery.Status.FAILED)
        return queryset


@admin.register(OutboxDelivery)
class OutboxDeliveryAdmin(TenantScopedAdmin):
    """Where the operator sees events a handler keeps failing on, and retries them."""

    tenant_path = "event__tenant"
    list_display = [
        "id",
        "event",
        "handler",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = [FailingFilter, "status", "handler"]
    list_select_related = ["event"]
    readonly_fields = [
        "event",
        "handler",
        "aggregate",
        "status",
        "attempts",
        "next_attempt_at",
        "leased_until",
        "last_error",
        "delivered_at",
        "payload",
    ]
    fields = readonly_fields
    actions = ["retry_now"]
    show_full_result_count = False

    @admin.display(description="last error")
    def short_error(self, obj) -> str:
        return obj.last_error[:120]

    @admin.display(description="payload")
    def payload(self, obj):
        return obj.event.payload

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return super().get_actions(request) if request.user.is_superuser else {}

    @admin.action(description="Retry now")
    def retry_now(self, request, queryset):
        count, overtaken = outbox.retry_now(list(queryset.values_list("pk", flat=True)))
        if count:
            deliver_events.enqueue()
        messages.success(request, f"{count} deliver{'ies' if count != 1 else 'y'} will run again.")
        if overtaken:
            messages.warning(
                request,
                f"{overtaken} later event{'s' if overtaken != 1 else ''} of the same "
                "aggregates were already delivered; the retried ones arrive after them.",
            )
