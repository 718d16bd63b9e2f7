"""The worker's event handlers: who is told about which kind of change (docs/events.md).

An app registers its handlers in its AppConfig.ready() with `@handles(name, kinds=...)`.
A handler receives one committed OutboxEvent at a time, at least once, in order per
aggregate; it must be idempotent (a redelivery after a crash changes nothing).
`event.attempt` counts the tries of this delivery (from 1; OUTBOX["MAX_ATTEMPTS"] is the last).
It signals trouble by raising: `RetryLater` (with the server's Retry-After, if any), `GiveUp`
(a permanent failure, e.g. a 4xx), or any other exception (retried with backoff).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tenants.models import EventKind, OutboxEvent

HandlerFunction = Callable[[OutboxEvent], None]


class RetryLater(Exception):
    """Try this delivery again later: after `after` seconds if the server said so."""

    def __init__(self, message: str, *, after: float | None = None) -> None:
        super().__init__(message)
        self.after = after


class GiveUp(Exception):
    """A permanent failure: the delivery is marked failed at once, with this message."""


@dataclass(frozen=True)
class Handler:
    name: str
    kinds: frozenset[str]
    function: HandlerFunction


_registry: dict[str, Handler] = {}


def handles(name: str, *, kinds: Iterable[str]) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register `function` as the handler `name` for these event kinds ("*" for every kind)."""
    kinds = frozenset(kinds)
    unknown = kinds - {"*", *EventKind.values}
    if unknown:
        raise ValueError(f"Unknown event kinds for handler {name!r}: {sorted(unknown)}")

    def register(function: HandlerFunction) -> HandlerFunction:
        _registry[name] = Handler(name=name, kinds=kinds, function=function)
        return function

    return register


def unregister(name: str) -> None:
    _registry.pop(name, None)


def handlers_for(kind: str) -> list[str]:
    """The names of the handlers subscribed to `kind`, in a stable order."""
    return sorted(h.name for h in _registry.values() if kind in h.kinds or "*" in h.kinds)


def handler_named(name: str) -> Handler | None:
    return _registry.get(name)
