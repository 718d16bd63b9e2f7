"""Delivering outbox events to their handlers: claim, run, retry, give up (docs/events.md).

Any number of workers may run `deliver_ready()` at once. A worker claims deliveries in a short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL) by writing its lease token and a lease
end on them, then runs the handlers *outside* any transaction: a slow SCIM endpoint never
holds a lock. Before each delivery it renews the lease (and counts the attempt); every later
write is conditional on its token, so a worker that lost a lease stops instead of racing the
worker that took it over. A worker that dies leaves its leases to expire and the deliveries
are claimed again (at least once). Deliveries of one handler and one aggregate run in id
order: only the oldest pending one of an aggregate can be claimed, with those queued behind it.
"""

import logging
import random
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Min, OuterRef, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from tenants.handlers import GiveUp, RetryLater, handler_named
from tenants.models import OutboxDelivery

logger = logging.getLogger(__name__)

Pending = OutboxDelivery.Status.PENDING

HEADS_PER_CLAIM = 20  # aggregates claimed at once
PER_AGGREGATE = 200  # deliveries of one aggregate claimed behind its head
UNKNOWN_HANDLER_WAIT = 60  # seconds: a newer worker may know it (a rolling deploy)


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.OUTBOX["LEASE_SECONDS"])


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: about 2, 4, 8 … seconds, capped (setting)."""
    ceiling = min(settings.OUTBOX["BACKOFF_CAP_SECONDS"], 2**attempts)
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def deliver_ready(*, budget_seconds: float = 30.0) -> int:
    """Run every delivery that is due, within a time budget; returns how many succeeded."""
    succeeded = 0
    deadline = time.monotonic() + budget_seconds
    token = uuid.uuid4().hex
    while time.monotonic() < deadline:
        claimed = claim(token)
        if not claimed:
            break
        succeeded += run(claimed, token)
    return succeeded


def _heads():
    """The oldest pending delivery of each (handler, aggregate): the only ones to claim."""
    earlier_pending = OutboxDelivery.objects.filter(
        handler=OuterRef("handler"),
        aggregate=OuterRef("aggregate"),
        status=Pending,
        id__lt=OuterRef("id"),
    )
    return OutboxDelivery.objects.filter(status=Pending).exclude(Exists(earlier_pending))


def _unleased(now: datetime) -> Q:
    return Q(leased_until__isnull=True) | Q(leased_until__lte=now)


def claim(token: str) -> list[OutboxDelivery]:
    """Lease the heads of up to 20 aggregates and the deliveries queued behind each.

    A head that was started the maximum number of times without an outcome (its worker kept
    dying) is given up here instead, so it shows up for the operator and stops holding back
    its aggregate.
    """
    now = timezone.now()
    with transaction.atomic():
        claimable = _heads().filter(_unleased(now), next_attempt_at__lte=now)
        claimable.filter(attempts__gte=settings.OUTBOX["MAX_ATTEMPTS"]).update(
            status=OutboxDelivery.Status.FAILED,
            last_error="Gave up: the worker stopped while delivering it, every time it tried.",
        )
        heads = list(
            claimable.filter(attempts__lt=settings.OUTBOX["MAX_ATTEMPTS"])
            .select_for_update(skip_locked=True)
            .order_by("id")
            .only("id", "handler", "aggregate")[:HEADS_PER_CLAIM]
        )
        if not heads:
            return []
        claimed_ids = [head.id for head in heads]
        for head in heads:  # behind a pending head that is now ours: nobody else claims these
            claimed_ids += (
                OutboxDelivery.objects.filter(
                    _unleased(now),
                    status=Pending,
                    handler=head.handler,
                    aggregate=head.aggregate,
                    id__gt=head.id,
                )
                .order_by("id")
                .values_list("id", flat=True)[:PER_AGGREGATE]
            )
        OutboxDelivery.objects.filter(id__in=claimed_ids).update(
            leased_until=now + lease_duration(), lease_token=token
        )
    return list(
        OutboxDelivery.objects.filter(id__in=claimed_ids)
        .select_related("event")
        .order_by("handler", "aggregate", "id")
    )


def run(claimed: list[OutboxDelivery], token: str) -> int:
    """Run claimed deliveries, each aggregate's in order; stop an aggregate at its first
    failure, or when its lease was taken over. Returns how many succeeded."""
    queues: dict[tuple[str, str], list[OutboxDelivery]] = defaultdict(list)
    for delivery in claimed:
        queues[(delivery.handler, delivery.aggregate)].append(delivery)
    succeeded = 0
    for (handler_name, _aggregate), queue in queues.items():
        handler = handler_named(handler_name)
        for position, delivery in enumerate(queue):
            if not _start(delivery, token):
                break  # our lease ran out and another worker holds it now
            try:
                if handler is None:
                    raise RetryLater(
                        f"No handler called {handler_name!r} is installed in this worker.",
                        after=UNKNOWN_HANDLER_WAIT,
                    )
                delivery.event.attempt = delivery.attempts  # handlers may say "last try"
                handler.function(delivery.event)
            except Exception as error:  # a handler's failure is recorded, never raised
                _record_failure(delivery, error, token)
                _release([d.id for d in queue[position + 1 :]], token)
                break
            _mine(delivery.id, token).update(
                status=OutboxDelivery.Status.DONE,
                delivered_at=timezone.now(),
                leased_until=None,
                lease_token="",
                last_error="",
            )
            succeeded += 1
    return succeeded


def _mine(delivery_id: int | list[int], token: str):
    ids = delivery_id if isinstance(delivery_id, list) else [delivery_id]
    return OutboxDelivery.objects.filter(id__in=ids, lease_token=token, status=Pending)


def _start(delivery: OutboxDelivery, token: str) -> bool:
    """Renew the lease and count the attempt, if the delivery is still ours."""
    started = _mine(delivery.id, token).update(
        leased_until=timezone.now() + lease_duration(), attempts=F("attempts") + 1
    )
    delivery.attempts += 1
    return started == 1


def _release(delivery_ids: list[int], token: str) -> None:
    """Queued behind a failure: unleased and untouched (they wait for the failed one)."""
    if delivery_ids:
        _mine(delivery_ids, token).update(leased_until=None, lease_token="")


def _record_failure(delivery: OutboxDelivery, error: Exception, token: str) -> None:
    message = f"{type(error).__name__}: {error}"[:4000]
    gave_up = isinstance(error, GiveUp) or delivery.attempts >= settings.OUTBOX["MAX_ATTEMPTS"]
    wait = backoff(delivery.attempts)
    if isinstance(error, RetryLater) and error.after is not None:
        wait = max(wait, timedelta(seconds=error.after))
    logger.warning(
        "Delivery %s (%s, attempt %s) failed%s: %s",
        delivery.id,
        delivery.handler,
        delivery.attempts,
        "; giving up" if gave_up else f"; retrying in {wait.total_seconds():.0f}s",
        message,
    )
    _mine(delivery.id, token).update(
        status=OutboxDelivery.Status.FAILED if gave_up else Pending,
        next_attempt_at=timezone.now() + wait,
        leased_until=None,
        lease_token="",
        last_error=message,
    )


def next_due() -> datetime | None:
    """When the earliest pending delivery can next be claimed (None: nothing is pending).

    Only heads count: a delivery queued behind a waiting one is due when that one is.
    """
    due = Greatest("next_attempt_at", Coalesce("leased_until", "next_attempt_at"))
    return _heads().aggregate(due=Min(due))["due"]


def retry_now(delivery_ids: list[int]) -> tuple[int, int]:
    """An operator retries failed or waiting deliveries at once (Django admin action).

    Deliveries a worker is running right now are left alone. Returns how many will run again,
    and how many later deliveries of their aggregates were already delivered: those handlers
    will see the retried event after newer ones (they act on the current state, so that is
    safe, but worth saying).
    """
    now = timezone.now()
    retried = OutboxDelivery.objects.filter(_unleased(now), id__in=delivery_ids).exclude(
        status=OutboxDelivery.Status.DONE
    )
    rows = list(retried.values_list("id", "handler", "aggregate"))
    count = retried.update(status=Pending, attempts=0, next_attempt_at=now, last_error="")
    overtaken = Q(pk__in=[])
    for delivery_id, handler, aggregate in rows:
        overtaken |= Q(handler=handler, aggregate=aggregate, id__gt=delivery_id)
    already_done = OutboxDelivery.objects.filter(overtaken, status="done").count() if rows else 0
    return count, already_done
