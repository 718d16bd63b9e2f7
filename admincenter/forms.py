"""Admin center forms: validation only; views call actions."""

from django import forms
from django.core.exceptions import ValidationError

from groups.models import RequestStatus
from groups.selectors import RequestFilters, groups_named_exactly
from provisioning.models import URL_MAX, Operation, Outcome
from provisioning.selectors import LogFilters
from scim.models import CLIENT_NAME_MAX
from tenants.actors import Surface
from tenants.models import (
    MIN_GROUP_LIFETIME_DAYS,
    EventKind,
    GeneralSettings,
    LifecycleSettings,
    User,
)
from tenants.selectors import AuditFilters
from tenants.text import name_key

YES_NO = [(True, "Yes"), (False, "No")]


def _yes_no(field_name: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=GeneralSettings._meta.get_field(field_name).verbose_name,
        choices=YES_NO,
        coerce=lambda value: value in (True, "True", "true", "1"),
        widget=forms.RadioSelect,
    )


class GeneralSettingsForm(forms.Form):
    """The five settings of docs/settings.md, labelled with their exact names."""

    owners_can_manage_requests = _yes_no("owners_can_manage_requests")
    restrict_access_to_groups = _yes_no("restrict_access_to_groups")
    users_can_create_security_groups = _yes_no("users_can_create_security_groups")
    users_can_create_microsoft365_groups = _yes_no("users_can_create_microsoft365_groups")
    owners_who_can_assign_owners = forms.ChoiceField(
        label="Owners who can assign members as group owners",
        choices=GeneralSettings.OwnerAssigners.choices,
        widget=forms.RadioSelect,
    )
    selected_owner_assigners = forms.ModelMultipleChoiceField(
        label="Selected users",
        queryset=User.objects.none(),
        required=False,
        help_text="With “Selected”, only these people may make another member a group owner.",
        error_messages={
            "invalid_choice": "%(value)s is not a person of your organisation.",
            "invalid_pk_value": "“%(pk)s” is not a person of your organisation.",
        },
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        # Anyone of the tenant, as in Django admin: someone listed and later deactivated stays
        # listed, so the unchanged form still saves. "Selected" needs one person: the action
        # (tenants.actions.update_general_settings) says so, for every surface.
        self.fields["selected_owner_assigners"].queryset = User.objects.filter(tenant=tenant)


class UserChangeForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=User.Role.choices)
    has_premium_license = forms.BooleanField(label="Premium license", required=False)
    is_active = forms.BooleanField(label="Active (can sign in)", required=False)


DATE_SHOWN = "%-d %b %Y"  # 27 Nov 2026, as every page writes dates
DATE_INPUTS = ["%d %b %Y", "%d %B %Y", "%Y-%m-%d"]
FIRST_YEAR, LAST_YEAR = 1970, 9998  # beyond these, date arithmetic with time zones overflows


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=CLIENT_NAME_MAX,
        help_text="The identity provider that will use it, e.g. “Microsoft Entra ID”.",
    )


class ProvisioningForm(forms.Form):
    """Where an application's accounts are provisioned. The token is write-only: the field
    is always empty, and leaving it empty keeps the stored one (provisioning/actions.py)."""

    scim_url = forms.CharField(
        label="SCIM base URL",
        max_length=URL_MAX,
        help_text="The application's SCIM 2.0 endpoint, e.g. https://expenses.example/scim/v2",
        widget=forms.URLInput(attrs={"placeholder": "https://…/scim/v2", "autocomplete": "off"}),
    )
    token = forms.CharField(
        label="Bearer token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    enabled = forms.BooleanField(
        label="Provision people with access to this application",
        required=False,
        help_text="When on, people who gain access get an account there, and people who lose "
        "it are deactivated (never deleted).",
    )

    def __init__(self, *args, has_token: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = (
            "A token is saved; it is never shown. Leave this empty to keep it."
            if has_token
            else "The token the application gave you for provisioning."
        )


class ProvisioningLogFilterForm(forms.Form):
    """The provisioning log's filters: the tenant's applications, static outcomes and
    operations, and part of a person's name or email."""

    application = forms.TypedChoiceField(label="Application", required=False, coerce=int)
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome"), *Outcome.choices]
    )
    operation = forms.ChoiceField(
        label="Operation", required=False, choices=[("", "Any operation"), *Operation.choices]
    )
    person = forms.CharField(label="Person (name or email)", required=False, max_length=150)

    def __init__(self, *args, applications: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [("", "Any application"), *applications]

    def filters(self) -> LogFilters:
        """The valid filters (call after is_valid())."""
        data = self.cleaned_data
        return LogFilters(
            application_id=data.get("application") or None,
            outcome=data.get("outcome") or "",
            operation=data.get("operation") or "",
            person=data.get("person") or "",
        )


class DateRangeForm(forms.Form):
    """A list's From/To filters (Audit log, Request history): days in a sane range, To not
    before From. Text, not the browser's date picker (which shows mm/dd/yyyy to some): the
    pages' own format, 27 Nov 2026, and ISO 2026-11-27 are both understood. (Django's
    CharField already refuses NUL characters in the other filters.)"""

    # Text, not the browser's date picker (which shows mm/dd/yyyy to some): the pages' own
    # format, 27 Nov 2026, and ISO 2026-11-27 are both understood.
    since = forms.DateField(
        label="From",
        required=False,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(format=DATE_SHOWN, attrs={"placeholder": "e.g. 1 Nov 2026"}),
        help_text="A day, e.g. 1 Nov 2026",
    )
    until = forms.DateField(
        label="To",
        required=False,
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(format=DATE_SHOWN, attrs={"placeholder": "e.g. 30 Nov 2026"}),
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        for name, day in (("since", since), ("until", until)):
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")
                cleaned.pop(name, None)
        if since and until and since > until:
            self.add_error("until", "“To” must not be before “From”.")
        return cleaned


class AuditFilterForm(DateRangeForm):
    """The Audit log's filters. Choices are the static lists of kinds and surfaces."""

    actor = forms.CharField(label="Actor (name or email)", required=False, max_length=150)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *EventKind.choices]
    )
    surface = forms.ChoiceField(
        label="Surface", required=False, choices=[("", "Any surface"), *Surface.choices]
    )
    group = forms.CharField(label="Target group (name)", required=False, max_length=256)
    person = forms.EmailField(label="Target person (email)", required=False)

    def filters(self) -> AuditFilters:
        """The valid filters (call after is_valid())."""
        data = self.cleaned_data
        return AuditFilters(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            surface=data.get("surface") or "",
            group=data.get("group") or "",
            person=data.get("person") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


class LifecycleSettingsForm(forms.Form):
    """Reminders, escalation, request expiry and the group expiration policy
    (docs/lifecycle.md), labelled with the settings' names."""

    remind_after_days = forms.IntegerField(
        label=LifecycleSettings._meta.get_field("remind_after_days").verbose_name,
        min_value=1,
        max_value=3650,
        help_text="The people who may decide a request get a reminder this many days after it "
        "was made.",
    )
    escalate_after_days = forms.IntegerField(
        label=LifecycleSettings._meta.get_field("escalate_after_days").verbose_name,
        min_value=1,
        max_value=3650,
        help_text="Global admins are told about a request still waiting after this many days.",
    )
    expire_requests_after_days = forms.IntegerField(
        label=LifecycleSettings._meta.get_field("expire_requests_after_days").verbose_name,
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Leave empty and requests never expire. An expired request ends as “expired”; "
        "the requester and the deciders are told.",
    )
    group_expiration_applies_to = forms.ChoiceField(
        label=LifecycleSettings._meta.get_field("group_expiration_applies_to").verbose_name,
        choices=LifecycleSettings.AppliesTo.choices,
        widget=forms.RadioSelect,
    )
    group_lifetime_days = forms.IntegerField(
        label=LifecycleSettings._meta.get_field("group_lifetime_days").verbose_name,
        min_value=MIN_GROUP_LIFETIME_DAYS,
        max_value=3650,
        help_text="At least 30 days, counted from creation or the last renewal. Owners are "
        "warned 30, 15 and 1 days before; an expired group can be restored for 30 days.",
    )
    selected_groups = forms.CharField(
        label="Selected groups (names, one per line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Expenses users"}),
        help_text="With “Selected groups”, the policy applies to these groups only.",
    )
    ownerless_group_email = forms.EmailField(
        label=LifecycleSettings._meta.get_field("ownerless_group_email").verbose_name,
        required=False,
        help_text=LifecycleSettings._meta.get_field("ownerless_group_email").help_text,
    )

    def __init__(self, *args, tenant_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id

    def clean_selected_groups(self) -> list:
        raw = self.cleaned_data["selected_groups"]  # (CharField refuses NUL itself)
        names = list(dict.fromkeys(n.strip() for n in raw.splitlines() if n.strip()))
        found = groups_named_exactly(self.tenant_id, names)
        keys = {group.name_key for group in found}
        unknown = sorted(name for name in names if name_key(name) not in keys)
        if unknown:
            raise ValidationError(f"No group of your organisation is called: {', '.join(unknown)}")
        return found

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("group_expiration_applies_to") == "selected" and not cleaned.get(
            "selected_groups"
        ):
            self.add_error("selected_groups", "With “Selected groups”, name at least one group.")
        return cleaned


class RequestHistoryForm(DateRangeForm):
    """The request history's filters."""

    q = forms.CharField(label="Requester or group", required=False, max_length=150)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *RequestStatus.choices]
    )

    def filters(self) -> RequestFilters:
        data = self.cleaned_data
        return RequestFilters(
            search=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
