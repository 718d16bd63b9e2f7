"""The one way a change is recorded: its audit row and its outbox event, in its transaction.

`record()` and `record_many()` write, inside the action's transaction and in a fixed number of
queries whatever the count: the audit rows, one outbox event per change, a delivery per
subscribed worker handler (tenants/handlers.py) and a wake-up task for the worker. A
rolled-back action therefore leaves no trace, and a committed one is never lost.

Apps above `tenants` react to a change *in the same transaction* with `@on_change(kind)`: a
person's deactivation is announced here, and groups cancels their requests (groups/apps.py).
An app that must take its locks before the change does (to keep the lock order) registers
`@on_prepare(kind)`, which the action calls before it locks anything itself.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tenants import handlers
from tenants.actors import Actor
from tenants.models import AuditEvent, EventKind, OutboxDelivery, OutboxEvent


@dataclass(frozen=True)
class Change:
    """One recorded change: the audit row's target and data, the event's payload (ids only)."""

    target: models.Model
    data: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    aggregate: str = ""  # default: the target, e.g. "group:12"


Hook = Callable[[str, Actor, int, Sequence[Change]], None]
_hooks: dict[str, list[Hook]] = defaultdict(list)
Preparation = Callable[[str, models.Model], None]
_preparations: dict[str, list[Preparation]] = defaultdict(list)


def on_prepare(*kinds: str) -> Callable[[Preparation], Preparation]:
    """Run `preparation(kind, target)` in the change's transaction, before the action changes
    anything: to lock rows first (groups locks a person's groups before the person is
    deactivated) or to refuse the change with a Refusal (provisioning refuses to delete an
    application it provisions)."""

    def register(preparation: Preparation) -> Preparation:
        for kind in kinds:
            if preparation not in _preparations[kind]:
                _preparations[kind].append(preparation)
        return preparation

    return register


def prepare(kind: str, target: models.Model) -> None:
    """Called by an action, inside its transaction, before it locks anything."""
    for preparation in _preparations[kind]:
        preparation(kind, target)


def on_change(*kinds: str) -> Callable[[Hook], Hook]:
    """Run `hook(kind, actor, tenant_id, changes)` inside the transaction of every such change."""

    def register(hook: Hook) -> Hook:
        for kind in kinds:
            if hook not in _hooks[kind]:
                _hooks[kind].append(hook)
        return hook

    return register


def record(
    kind: str,
    *,
    actor: Actor,
    tenant_id: int,
    target: models.Model,
    data: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    aggregate: str = "",
) -> AuditEvent:
    """Record one change (see `record_many`)."""
    change = Change(target=target, data=data or {}, payload=payload or {}, aggregate=aggregate)
    return record_many(kind, actor=actor, tenant_id=tenant_id, changes=[change])[0]


def record_update(
    kind: str,
    *,
    actor: Actor,
    tenant_id: int,
    target: models.Model,
    diff: dict[str, Any],
    aggregate: str = "",
    **ids: Any,
) -> AuditEvent:
    """Record changed fields: the diff (old and new values) for the audit log, the field names
    and `ids` for the event."""
    return record(
        kind,
        actor=actor,
        tenant_id=tenant_id,
        target=target,
        data=diff,
        payload={**ids, "fields": sorted(diff)},
        aggregate=aggregate,
    )


def record_many(
    kind: str, *, actor: Actor, tenant_id: int, changes: Sequence[Change], audit: bool = True
) -> list[AuditEvent]:
    """Record changes of one kind: 2 inserts, +1 for deliveries and +1 wake-up with handlers.

    Must run inside the action's transaction, after the change itself was written.
    `audit=False` is for changes derived from one already audited (a person's access
    follows from the membership change the audit log shows): they get only their events.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record() must be called inside the action's transaction")
    if kind not in EventKind.values:
        raise ValueError(f"{kind!r} is not an EventKind")
    if not changes:
        return []
    now = timezone.now()
    audit_rows = []
    if audit:
        audit_rows = AuditEvent.objects.bulk_create(
            [_audit_row(kind, actor, tenant_id, change, now) for change in changes]
        )
    events = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                tenant_id=tenant_id,
                kind=kind,
                aggregate=change.aggregate or _ref(change.target),
                payload=_plain({**_target_ids(change.target), **change.payload}),
                actor=actor.user,
                actor_kind=actor.kind,
                surface=actor.surface,
                created_at=now,
            )
            for change in changes
        ]
    )
    subscribers = handlers.handlers_for(kind)
    if subscribers:
        OutboxDelivery.objects.bulk_create(
            OutboxDelivery(
                event=event, handler=name, aggregate=event.aggregate, next_attempt_at=now
            )
            for event in events
            for name in subscribers
        )
        wake_worker()
    for hook in _hooks[kind]:
        hook(kind, actor, tenant_id, changes)
    return audit_rows


def wake_worker() -> None:
    """Enqueue a delivery run in this transaction: it exists exactly when the events do."""
    from tenants.tasks import deliver_events  # tasks → outbox → handlers; not at import time

    deliver_events.enqueue()


def _audit_row(kind: str, actor: Actor, tenant_id: int, change: Change, now) -> AuditEvent:
    return AuditEvent(
        tenant_id=tenant_id,
        actor=actor.user,
        actor_kind=actor.kind,
        actor_label=actor.label[:300],
        surface=actor.surface,
        action=kind,
        target_type=change.target._meta.model_name,
        target_id=str(change.target.pk),
        target_label=str(change.target)[:300],
        data=_plain(change.data),
        created_at=now,
    )


def _ref(target: models.Model) -> str:
    return f"{target._meta.model_name}:{target.pk}"


def _target_ids(target: models.Model) -> dict[str, Any]:
    return {"target_type": target._meta.model_name, "target_id": target.pk}


def _plain(value: Any) -> Any:
    """Make a value JSON-safe (model instances become their id and label)."""
    if isinstance(value, models.Model):
        return {"id": value.pk, "label": str(value)}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose value differs, as {field: {"old": ..., "new": ...}}."""
    return {
        name: {"old": before.get(name), "new": value}
        for name, value in after.items()
        if before.get(name) != value
    }
