"""The one way to write an audit event; actions call it inside their transaction."""

from typing import Any

from django.db import models, transaction

from tenants.models import AuditEvent, Tenant, User

SYSTEM_ACTOR_LABEL = "system (operator command)"


def _plain(value: Any) -> Any:
    """Make a value JSON-safe for the audit record (model instances become their id and label)."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record_audit(
    *,
    tenant: Tenant | int,
    actor: User | None,
    action: str,
    target: models.Model,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_audit() must be called inside the action's transaction")
    return AuditEvent.objects.create(
        tenant_id=tenant.pk if isinstance(tenant, Tenant) else tenant,
        actor=actor,
        actor_label=str(actor) if actor is not None else SYSTEM_ACTOR_LABEL,
        action=action,
        target_type=target._meta.model_name,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        data=_plain(data or {}),
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value differs, as {field: {"old": ..., "new": ...}}."""
    return {
        field: {"old": before.get(field), "new": value}
        for field, value in after.items()
        if before.get(field) != value
    }
