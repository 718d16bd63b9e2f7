"""Admin center forms: validation only; views call actions."""

from django import forms

from scim.models import CLIENT_NAME_MAX
from tenants.actors import Surface
from tenants.models import EventKind, GeneralSettings, User
from tenants.selectors import AuditFilters

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


class AuditFilterForm(forms.Form):
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

    def clean(self):
        cleaned = super().clean()
        for name in ("actor", "group"):
            if "\x00" in (cleaned.get(name) or ""):
                self.add_error(name, "This field can't contain NUL characters.")
        since, until = cleaned.get("since"), cleaned.get("until")
        for name, day in (("since", since), ("until", until)):
            if day and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}.")
                cleaned.pop(name, None)
        if since and until and since > until:
            self.add_error("until", "“To” must not be before “From”.")
        return cleaned
