"""Input validation for the panel's forms. Forms never save domain objects: views call actions."""

import csv
import io
from datetime import datetime, time

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from groups.models import (
    DECISION_REASON_MAX,
    DESCRIPTION_MAX,
    DISPLAY_NAME_MAX,
    JUSTIFICATION_MAX,
    GroupType,
    MembershipPolicy,
)

SEARCH_MAX = 100


def search_term(params, name: str = "q") -> str:
    """A search box's value from GET parameters: trimmed, without NUL, at most 100 characters."""
    return params.get(name, "").strip().replace("\x00", "")[:SEARCH_MAX]


def refuse_nul(value: str) -> None:
    if "\x00" in (value or ""):
        raise ValidationError("This field can't contain NUL characters.")


DEFAULT_POLICY = ""  # the creation defaults of the source and type (docs/creation-defaults.md)
DEFAULT_POLICY_LABEL = "Default for its type: security groups closed, Microsoft 365 groups open"


class GroupForm(forms.Form):
    """Create group / Edit group. The type field is offered only on create."""

    display_name = forms.CharField(
        label="Name", max_length=DISPLAY_NAME_MAX, validators=[refuse_nul]
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[refuse_nul],
    )
    group_type = forms.ChoiceField(label="Group type", choices=())
    membership_policy = forms.ChoiceField(
        label="Membership",
        choices=[
            (MembershipPolicy.OPEN, "Open: anyone can join at once"),
            (MembershipPolicy.OWNER_APPROVAL, "Owner approval: an owner approves each request"),
            (MembershipPolicy.CLOSED, "Closed: only owners add members"),
        ],
        widget=forms.RadioSelect,
        initial=MembershipPolicy.OPEN,
    )

    def __init__(
        self,
        *args,
        group_types: list[str] | None = None,
        submit_label: str,
        default_policy_choice: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if group_types is None:
            del self.fields["group_type"]
        else:
            self.fields["group_type"].choices = [(t, GroupType(t).label) for t in group_types]
        if default_policy_choice:  # the Admin center: the creation defaults, chosen up front
            policy = self.fields["membership_policy"]
            policy.choices = [(DEFAULT_POLICY, DEFAULT_POLICY_LABEL), *policy.choices]
            policy.required = False
            self.initial.setdefault("membership_policy", DEFAULT_POLICY)
        self.submit_label = submit_label
        self.helper = _helper()


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the template draws the <form> with its buttons
    return helper


class JoinForm(forms.Form):
    """Join group / Request to join. The action decides whether a justification is required
    (owner-approval groups) and says so at this field."""

    justification = forms.CharField(
        label="Business justification",
        max_length=JUSTIFICATION_MAX,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Why do you need to be in this group?"}
        ),
        help_text="An owner of this group reads this and approves or denies your request.",
        validators=[refuse_nul],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


def end_of_day(day) -> datetime | None:
    """A chosen end date as the moment the membership ends: the start of that day (local)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


class EndDateField(forms.DateField):
    """An optional membership end date (a date picker); the action checks it's in the future."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Membership ends on (optional)")
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)

    def clean(self, value):
        day = super().clean(value)
        if day is not None and not 1970 <= day.year <= 9998:
            raise forms.ValidationError("Choose a date within the next 10 years.")
        return day


class MembershipEndForm(forms.Form):
    """Add members: when the new memberships end (empty: the group's default, if any)."""

    ends_on = EndDateField()


class MembershipOptionsForm(forms.Form):
    """The group page's membership duration options (owners)."""

    default_membership_days = forms.IntegerField(
        label="Default membership duration (days)",
        min_value=1,
        max_value=3650,
        required=False,
        help_text="New members leave after this many days unless renewed. Empty: no end.",
    )
    members_can_renew = forms.BooleanField(
        label="Members can renew their own membership", required=False
    )


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=DECISION_REASON_MAX,
        required=False,
        validators=[refuse_nul],
    )
    ends_on = EndDateField()


MAX_BULK_ENTRIES = 5000


class BulkMembersForm(forms.Form):
    """Paste emails (one per line, or separated by commas/semicolons) or upload a CSV file."""

    emails = forms.CharField(
        label="Paste email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "ana@example.com\nbo@example.com"}),
        help_text="One per line, or separated by commas or semicolons.",
        validators=[refuse_nul],
    )
    csv_file = forms.FileField(
        label="Or upload a CSV file",
        required=False,
        help_text="Any column holding email addresses.",
    )

    def clean_csv_file(self):
        upload = self.cleaned_data.get("csv_file")
        if upload is None:
            return ""
        if upload.size > 2 * 1024 * 1024:
            raise ValidationError("The file is larger than 2 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The file isn't UTF-8 text.") from None
        if "\x00" in text:
            raise ValidationError("The file contains NUL characters: is it really a CSV file?")
        return text

    def clean(self):
        cleaned = super().clean()
        try:
            entries = parse_email_entries(cleaned.get("emails", ""), cleaned.get("csv_file", ""))
        except csv.Error:
            raise ValidationError(
                {"csv_file": "The file isn't a readable CSV (one email per cell, UTF-8 text)."}
            ) from None
        if not entries and not self.errors:
            raise ValidationError("Paste at least one email address or upload a CSV file.")
        if len(entries) > MAX_BULK_ENTRIES:
            raise ValidationError(f"At most {MAX_BULK_ENTRIES:,} entries at once.")
        cleaned["entries"] = entries
        return cleaned


def parse_email_entries(pasted: str, csv_text: str) -> list[str]:
    """Every distinct entry, lower-cased, in order; CSV cells that aren't emails are skipped."""
    entries: list[str] = []
    for chunk in pasted.replace(";", "\n").replace(",", "\n").splitlines():
        if chunk.strip():
            entries.append(chunk.strip().lower())
    for row in csv.reader(io.StringIO(csv_text, newline="")):  # \r, \n or \r\n line ends
        for cell in row:
            cell = cell.strip().lower()
            if "@" in cell:
                entries.append(cell)
    return list(dict.fromkeys(entries))
