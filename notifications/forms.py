"""Forms of the notifications pages: validation only; views call actions."""

from django import forms

from groups.forms import EndDateField, refuse_nul
from groups.models import DECISION_REASON_MAX
from notifications.models import Delivery, NotificationKind


class PreferencesForm(forms.Form):
    """One choice per kind of notification: immediately, or in the daily digest."""

    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(
                label=label,
                choices=Delivery.choices,
                widget=forms.RadioSelect,
                initial=current[kind],
            )


class LinkDecisionForm(forms.Form):
    """The confirmation page of an Approve or Deny link."""

    ends_on = EndDateField(
        help_text="Leave empty for the group's default duration (or no end, if it has none)."
    )
    reason = forms.CharField(
        label="Reason (optional)",
        max_length=DECISION_REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[refuse_nul],
    )
