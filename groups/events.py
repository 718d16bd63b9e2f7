"""Domain events: actions announce what changed; notifications and provisioning subscribe.

Handlers run after the transaction commits (never for a rolled-back change), each in its own
try block so that one failing subscriber can't undo or hide the others.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    name: str  # e.g. "membership.added"
    tenant_id: int
    payload: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[DomainEvent], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    """Call `handler(event)` after every committed event called `name` ("*" for all)."""
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    if handler in _subscribers[name]:
        _subscribers[name].remove(handler)


def emit(name: str, *, tenant_id: int, **payload: Any) -> None:
    """Queue the event; it is delivered only if the surrounding transaction commits."""
    event = DomainEvent(name=name, tenant_id=tenant_id, payload=payload)
    transaction.on_commit(lambda: _deliver(event))


def _deliver(event: DomainEvent) -> None:
    for handler in [*_subscribers[event.name], *_subscribers["*"]]:
        try:
            handler(event)
        except Exception:
            logger.exception("Subscriber %r failed on %s", handler, event.name)
