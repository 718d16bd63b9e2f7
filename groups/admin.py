"""Django admin for groups: tenant-scoped, and every save goes through groups.actions.

So a change made here obeys the same rules and writes the same audit events as the panel.
"""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from groups import actions
from groups.models import Group, GroupSource, JoinRequest, Membership, Ownership
from tenants.admin import TenantScopedAdmin, admin_actor, scope_choices
from tenants.errors import Invalid

MAX_INLINE_MEMBERS = 200


class NoReassignForm(forms.ModelForm):
    """An existing owner or member row can be removed, not pointed at someone else."""

    def clean_user(self):
        user = self.cleaned_data["user"]
        if self.instance.pk and self.instance.user_id != user.pk:
            raise forms.ValidationError("To replace someone, remove them and add the other person.")
        return user


class PersonInline(admin.TabularInline):
    form = NoReassignForm
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["added_by", "created_at"]
    fields = ["user", "added_by", "created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return scope_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def has_add_permission(self, request, obj=None):
        return request.user.is_global_admin

    def has_change_permission(self, request, obj=None):
        return request.user.is_global_admin

    def has_delete_permission(self, request, obj=None):
        return request.user.is_global_admin

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (
            request.user.is_superuser or request.user.is_global_admin
        )


class OwnershipInline(PersonInline):
    model = Ownership
    verbose_name = "owner"
    verbose_name_plural = "Owners"


class MembershipInline(PersonInline):
    model = Membership
    verbose_name = "member"
    verbose_name_plural = "Members"
    readonly_fields = ["added_via", "added_by", "created_at"]
    fields = ["user", "added_via", "added_by", "created_at"]


@admin.register(Group)
class GroupAdmin(TenantScopedAdmin):
    list_display = ["display_name", "group_type", "membership_policy", "source", "created_at"]
    list_filter = ["group_type", "membership_policy", "source"]
    search_fields = ["display_name", "description"]
    inlines = [OwnershipInline, MembershipInline]
    readonly_fields = ["source", "created_by", "created_at", "updated_at", "members_link"]

    def get_inline_instances(self, request, obj=None):
        """Big groups are managed on the panel's paginated group page, not in one huge form."""
        inlines = super().get_inline_instances(request, obj)
        if obj is not None and obj.member_count > MAX_INLINE_MEMBERS:
            inlines = [inline for inline in inlines if not isinstance(inline, MembershipInline)]
        return inlines

    @admin.display(description="Members")
    def members_link(self, obj):
        url = reverse("group_detail", args=[obj.pk])
        return format_html('{} — <a href="{}">manage on the group page</a>', obj.member_count, url)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return [*filters, "tenant"] if request.user.is_superuser else filters

    def get_fields(self, request, obj=None):
        fields = ["display_name", "description", "group_type", "membership_policy"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "group_type"] if obj is not None else []

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_global_admin

    def has_change_permission(self, request, obj=None):
        return request.user.is_global_admin and self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_global_admin and self._allowed(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            values = {
                f: form.cleaned_data[f]
                for f in actions.EDITABLE_GROUP_FIELDS
                if f in form.changed_data
            }
            if values:
                actions.update_group(obj, actor=admin_actor(request), **values)
            return
        group = actions.create_group(
            actor=admin_actor(request),
            source=GroupSource.ADMIN_CENTER,
            display_name=form.cleaned_data["display_name"],
            description=form.cleaned_data["description"],
            group_type=form.cleaned_data["group_type"],
            membership_policy=form.cleaned_data["membership_policy"],
        )
        obj.__dict__.update({k: v for k, v in group.__dict__.items() if not k.startswith("_")})
        obj._state.adding = False

    def delete_model(self, request, obj):
        actions.delete_group(obj, actor=admin_actor(request))

    def get_deleted_objects(self, objs, request):
        """delete_group removes a group's owners, members and requests with it (and audits it),
        so deleting a group needs no separate permission on those rows."""
        deleted, model_count, _, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def save_formset(self, request, form, formset, change):
        """Owner and member rows are added and removed by actions (rules + audit events)."""
        group = form.instance
        actor = admin_actor(request)
        formset.save(commit=False)
        removed = [row.user for row in formset.deleted_objects]
        added = [row.user for row in formset.new_objects]
        if formset.model is Membership:
            for person in removed:
                actions.remove_member(group, actor=actor, person=person)
            if added:
                result = actions.add_members(group, actor=actor, people=added)
                if result.refused:  # rolls the whole save back
                    person, reason = result.refused[0]
                    raise Invalid(f"{person.email}: {reason}")
        else:
            for person in added:
                actions.add_owner(group, actor=actor, person=person)
            for person in removed:
                actions.remove_owner(group, actor=actor, person=person)


@admin.register(JoinRequest)
class JoinRequestAdmin(TenantScopedAdmin):
    tenant_path = "group__tenant"
    list_display = ["requester", "group", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["requester__email", "requester__display_name", "group__display_name"]
    list_select_related = ["requester", "group", "decided_by"]
    readonly_fields = [
        "group",
        "requester",
        "justification",
        "status",
        "decided_by",
        "decision_reason",
        "created_at",
        "decided_at",
    ]
    actions = ["approve_selected", "deny_selected"]

    def has_add_permission(self, request):
        return False  # people ask from the panel or the API

    def has_change_permission(self, request, obj=None):
        return False  # decisions go through the Approve/Deny actions below

    def get_actions(self, request):
        """Offer the bulk decisions to global admins only (they go through actions)."""
        return super().get_actions(request) if request.user.is_global_admin else {}

    @admin.action(description="Approve selected requests")
    def approve_selected(self, request, queryset):
        self._decide(request, queryset, JoinRequest.Status.APPROVED)

    @admin.action(description="Deny selected requests")
    def deny_selected(self, request, queryset):
        self._decide(request, queryset, JoinRequest.Status.DENIED)

    def _decide(self, request, queryset, status: str) -> None:
        """One set-based action for every selected request; each refusal is a message."""
        result = actions.close_requests(
            list(queryset.values_list("pk", flat=True)), actor=admin_actor(request), status=status
        )
        for join_request, refusal in result.refused:
            messages.error(request, f"{join_request}: {refusal.message}")
        done = len(result.decided)
        verb = JoinRequest.Status(status).label.lower()
        messages.success(request, f"{done} request{'s' if done != 1 else ''} {verb}.")
