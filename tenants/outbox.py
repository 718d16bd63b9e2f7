"""Delivering outbox events to their handlers: claim, run, retry, give up (docs/events.md).

Any number of workers may run `deliver_ready()` at once. A worker claims deliveries by leasing
them in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never claim
the same row), then runs the handlers *outside* any transaction: a slow SCIM endpoint never holds
a lock. A worker that dies leaves its leases to expire; the deliveries are claimed again (at
least once). Deliveries of one handler and one aggregate run in id order: only the oldest
pending one of an aggregate can be claimed, together with the ones queued behind it.
"""

import logging
import random
import time
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
MARK_DONE_EVERY = 50


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
    while time.monotonic() < deadline:
        claimed = claim()
        if not claimed:
            break
        succeeded += run(claimed)
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


def _claimable(now: datetime):
    return _heads().filter(
        Q(next_attempt_at__lte=now), Q(leased_until__isnull=True) | Q(leased_until__lte=now)
    )


def claim() -> list[OutboxDelivery]:
    """Lease the heads of up to 20 aggregates and the deliveries queued behind each."""
    now = timezone.now()
    with transaction.atomic():
        heads = list(
            _claimable(now)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .only("id", "handler", "aggregate")[:HEADS_PER_CLAIM]
        )
        if not heads:
            return []
        claimed_ids = [head.id for head in heads]
        for head in heads:  # nobody else can claim these: their head is pending and leased
            claimed_ids += (
                OutboxDelivery.objects.filter(
                    status=Pending, handler=head.handler, aggregate=head.aggregate, id__gt=head.id
                )
                .order_by("id")
                .values_list("id", flat=True)[:PER_AGGREGATE]
            )
        OutboxDelivery.objects.filter(id__in=claimed_ids).update(
            leased_until=now + lease_duration(), attempts=F("attempts") + 1
        )
    return list(
        OutboxDelivery.objects.filter(id__in=claimed_ids)
        .select_related("event")
        .order_by("handler", "aggregate", "id")
    )


def run(claimed: list[OutboxDelivery]) -> int:
    """Run claimed deliveries, each aggregate's in order; stop an aggregate at its first failure."""
    queues: dict[tuple[str, str], list[OutboxDelivery]] = defaultdict(list)
    for delivery in claimed:
        queues[(delivery.handler, delivery.aggregate)].append(delivery)
    succeeded = 0
    for (handler_name, _aggregate), queue in queues.items():
        handler = handler_named(handler_name)
        done: list[int] = []
        for position, delivery in enumerate(queue):
            try:
                if handler is None:
                    raise GiveUp(f"No handler called {handler_name!r} is installed.")
                handler.function(delivery.event)
            except Exception as error:  # a handler's failure is recorded, never raised
                _mark_done(done)
                done = []
                _record_failure(delivery, error)
                _release([d.id for d in queue[position + 1 :]])
                break
            done.append(delivery.id)
            succeeded += 1
            if len(done) >= MARK_DONE_EVERY:
                _mark_done(done)
                done = []
        _mark_done(done)
    return succeeded


def _mark_done(delivery_ids: list[int]) -> None:
    if delivery_ids:
        OutboxDelivery.objects.filter(id__in=delivery_ids).update(
            status=OutboxDelivery.Status.DONE,
            delivered_at=timezone.now(),
            leased_until=None,
            last_error="",
        )


def _release(delivery_ids: list[int]) -> None:
    """Queued behind a failure: unleased, not attempted (they wait for the failed one)."""
    if delivery_ids:
        OutboxDelivery.objects.filter(id__in=delivery_ids).update(
            leased_until=None, attempts=F("attempts") - 1
        )


def _record_failure(delivery: OutboxDelivery, error: Exception) -> None:
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
    OutboxDelivery.objects.filter(id=delivery.id).update(
        status=OutboxDelivery.Status.FAILED if gave_up else Pending,
        next_attempt_at=timezone.now() + wait,
        leased_until=None,
        last_error=message,
    )


def next_due() -> datetime | None:
    """When the earliest pending delivery can next be claimed (None: nothing is pending).

    Only heads count: a delivery queued behind a waiting one is due when that one is.
    """
    due = Greatest("next_attempt_at", Coalesce("leased_until", "next_attempt_at"))
    return _heads().aggregate(due=Min(due))["due"]


def retry_now(delivery_ids: list[int]) -> int:
    """An operator retries failed or waiting deliveries at once (Django admin action)."""
    return (
        OutboxDelivery.objects.filter(id__in=delivery_ids)
        .exclude(status="done")
        .update(status=Pending, next_attempt_at=timezone.now(), leased_until=None)
    )
