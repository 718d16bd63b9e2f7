"""The audit log in plain words: what each recorded change says to a person reading it.

Audit rows keep codes (`request.approved`, field names, choice values) so they stay stable and
machine-readable (the CSV export keeps them too). Pages show them through these functions:
the kind's label, field names as their labels, Yes/No, choices as their labels, people and
groups by name. Labels come from the target's model, found through the app registry, so this
module knows no app above `tenants`.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst

from tenants.models import AuditEvent

EMPTY = "—"


@dataclass(frozen=True)
class Detail:
    label: str
    text: str


@cache
def _model(target_type: str) -> type[models.Model] | None:
    """The model audit rows name by `target_type`. Two apps may share a model name (Django's
    auth.Group and groups.Group): the product's apps come after Django's in INSTALLED_APPS,
    so the last one wins."""
    found = [model for model in apps.get_models() if model._meta.model_name == target_type]
    return found[-1] if found else None


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _word(value: Any, field: models.Field | None) -> str:
    """One value in words: Yes/No, a choice's label, a person's or group's name, a list."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, dict) and "label" in value:
        return str(value["label"])
    if isinstance(value, list):
        return ", ".join(_word(item, None) for item in value)
    choices = dict(field.flatchoices) if field is not None and field.choices else {}
    return str(choices.get(value, value))


def target(event: AuditEvent) -> str:
    """What was changed: "Group · Expenses users", "General settings of Contoso"."""
    model = _model(event.target_type)
    kind = capfirst(model._meta.verbose_name) if model else capfirst(event.target_type)
    label = event.target_label
    if not label:
        return str(kind)
    if label.lower().startswith(str(kind).lower()):
        return label
    return f"{kind} · {label}"


def details(event: AuditEvent) -> list[Detail]:
    """Each recorded value as "label: words", a change as "old → new"."""
    model = _model(event.target_type)
    found = []
    for name, value in (event.data or {}).items():
        field = _field(model, name)
        label = (
            capfirst(field.verbose_name) if field is not None else capfirst(name.replace("_", " "))
        )
        if isinstance(value, dict) and {"old", "new"} <= set(value):
            text = f"{_word(value['old'], field)} → {_word(value['new'], field)}"
        else:
            text = _word(value, field)
        found.append(Detail(str(label), text))
    return found
