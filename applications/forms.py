"""Input validation for the application pages; views call actions with what these clean."""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from applications.models import (
    BLOCK_REASON_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    Application,
    ApplicationKind,
    PrincipalType,
)
from groups.forms import refuse_nul, search_term
from groups.models import Group
from tenants.models import User
from tenants.text import name_key

__all__ = [
    "ApplicationForm",
    "AssignmentForm",
    "BlockForm",
    "MoveAccessForm",
    "search_term",
]


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class ApplicationForm(forms.Form):
    """Create or edit an application (global admins)."""

    name = forms.CharField(label="Name", max_length=NAME_MAX, validators=[refuse_nul])
    kind = forms.ChoiceField(
        label="Kind", choices=ApplicationKind.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[refuse_nul],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "application_%s")
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class _TenantForm(forms.Form):
    """A form whose names and emails are looked up in one tenant only. Several share a page,
    so each has its own element ids (`id_prefix`)."""

    id_prefix = "form"

    def __init__(self, *args, tenant_id: int | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.tenant_id = tenant_id
        self.helper = _helper()

    def _group_named(self, name: str) -> Group:
        # By the look-alike key, as names are kept unique: spacing, case and accents typed
        # another way still find the group (tenants/text.py).
        group = Group.objects.filter(tenant_id=self.tenant_id, name_key=name_key(name)).first()
        if group is None:
            raise ValidationError(f"No group called “{name}” in your organisation.")
        return group

    def _person_with(self, email: str) -> User:
        person = User.objects.filter(tenant_id=self.tenant_id, email__iexact=email).first()
        if person is None:
            raise ValidationError(f"No one in your organisation has the email address “{email}”.")
        return person


class AssignmentForm(_TenantForm):
    """Give access to a group (by its name), a person (by email) or an application."""

    id_prefix = "assign"

    principal_type = forms.ChoiceField(
        label="Give access to",
        choices=PrincipalType.choices,
        initial=PrincipalType.GROUP,
        widget=forms.RadioSelect,
    )
    group = forms.CharField(
        label="Group name",
        required=False,
        max_length=256,
        validators=[refuse_nul],
        widget=forms.TextInput(attrs={"list": "group-suggestions", "autocomplete": "off"}),
    )
    person = forms.EmailField(
        label="Person's email",
        required=False,
        widget=forms.EmailInput(attrs={"list": "person-suggestions", "autocomplete": "off"}),
    )
    application = forms.ModelChoiceField(
        label="Everyone with access to",
        queryset=Application.objects.none(),
        required=False,
        empty_label="Choose an application or site",
    )

    def __init__(self, *args, tenant_id: int | None = None, **kwargs):
        super().__init__(*args, tenant_id=tenant_id, **kwargs)
        self.fields["application"].queryset = Application.objects.filter(tenant_id=tenant_id)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("principal_type")
        field = {"group": "group", "user": "person", "application": "application"}.get(kind)
        if field is None:
            return cleaned
        value = cleaned.get(field)
        if not value:
            self.add_error(field, "Say who gets access.")
        elif kind == PrincipalType.GROUP:
            try:
                cleaned["principal"] = {"group": self._group_named(value)}
            except ValidationError as error:
                self.add_error("group", error)
        elif kind == PrincipalType.USER:
            try:
                cleaned["principal"] = {"user": self._person_with(value)}
            except ValidationError as error:
                self.add_error("person", error)
        else:
            cleaned["principal"] = {"granting_application": value}
        return cleaned

    def principal(self) -> dict:
        return self.cleaned_data["principal"]

    def principal_label(self) -> str:
        return str(next(iter(self.principal().values())))


class BlockForm(_TenantForm):
    id_prefix = "block"
    person = forms.EmailField(
        label="Person's email",
        widget=forms.EmailInput(attrs={"list": "person-suggestions", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Reason",
        max_length=BLOCK_REASON_MAX,
        validators=[refuse_nul],
        help_text="The person and the application's owners see it.",
    )

    def clean_person(self) -> User:
        return self._person_with(self.cleaned_data["person"])


class MoveAccessForm(_TenantForm):
    id_prefix = "move"
    group = forms.CharField(
        label="Group name",
        max_length=256,
        validators=[refuse_nul],
        widget=forms.TextInput(attrs={"list": "group-suggestions", "autocomplete": "off"}),
    )
    remove_direct = forms.BooleanField(
        label="Then remove their direct assignments (they keep access through the group)",
        required=False,
    )

    def clean_group(self) -> Group:
        return self._group_named(self.cleaned_data["group"])
