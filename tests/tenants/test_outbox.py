"""The outbox: events written with their change, delivered at least once, in order per
aggregate, retried with backoff, and shown to the operator when they keep failing."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from groups import actions
from tenants import handlers, outbox, worker
from tenants.handlers import GiveUp, RetryLater
from tenants.models import OutboxDelivery, OutboxEvent, PeriodicRun
from tenants.tasks import deliver_events, schedule_next_delivery
from tests.factories import GroupFactory, UserFactory


@pytest.fixture(autouse=True)
def _only_the_probes(monkeypatch):
    """These tests watch the outbox's own machinery: the product's handlers (notifications)
    are set aside, so only the probes here get deliveries."""
    monkeypatch.setattr(handlers, "_registry", {})


@pytest.fixture
def probe():
    """A handler of member.added that records each event; `fail_on` makes it raise."""

    class Probe:
        seen: list[OutboxEvent] = []
        fail_on: dict[int, Exception] = {}  # user id → what to raise

        def __call__(self, event: OutboxEvent) -> None:
            error = self.fail_on.get(event.payload["user_id"])
            if error is not None:
                raise error
            self.seen.append(event)

    recorder = Probe()
    recorder.seen, recorder.fail_on = [], {}
    handlers.handles("probe", kinds=["member.added"])(recorder)
    yield recorder
    handlers.unregister("probe")


def _people(tenant, count: int):
    return [UserFactory(tenant=tenant) for _ in range(count)]


@pytest.mark.django_db
def test_a_committed_action_leaves_exactly_one_event_per_change(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    people = _people(tenant, 3)
    events_before = OutboxEvent.objects.count()
    tasks_before = DBTaskResult.objects.filter(task_path=deliver_events.module_path).count()
    actions.add_members(group, actor=owner, people=people)
    added = OutboxEvent.objects.filter(pk__gt=0).order_by("-id")[:3]
    assert OutboxEvent.objects.count() == events_before + 3
    assert sorted(e.payload["user_id"] for e in added) == sorted(p.pk for p in people)
    assert {e.kind for e in added} == {"member.added"}
    assert {e.aggregate for e in added} == {f"group:{group.pk}"}
    assert OutboxDelivery.objects.filter(event__in=added, handler="probe").count() == 3
    # One wake-up for the worker, written in the same transaction as the events.
    assert (
        DBTaskResult.objects.filter(task_path=deliver_events.module_path).count()
        == tasks_before + 1
    )


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_event_delivery_or_wake_up(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    person = UserFactory(tenant=tenant)
    counts = (
        OutboxEvent.objects.count(),
        OutboxDelivery.objects.count(),
        DBTaskResult.objects.count(),
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.add_members(group, actor=owner, people=[person])
        raise RuntimeError("roll back")
    assert (
        OutboxEvent.objects.count(),
        OutboxDelivery.objects.count(),
        DBTaskResult.objects.count(),
    ) == counts


@pytest.mark.django_db
def test_events_nobody_handles_are_kept_but_need_no_delivery(tenant, owner):
    group = GroupFactory(created_by=owner)
    before = OutboxDelivery.objects.count()
    actions.add_members(group, actor=owner, people=_people(tenant, 2))
    assert OutboxDelivery.objects.count() == before


@pytest.mark.django_db
def test_delivery_runs_each_event_once_in_order(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    people = _people(tenant, 5)
    for person in people:  # five changes, five transactions, one aggregate
        actions.add_members(group, actor=owner, people=[person])
    assert outbox.deliver_ready() == 5
    assert [e.payload["user_id"] for e in probe.seen] == [p.pk for p in people]
    assert set(OutboxDelivery.objects.values_list("status", flat=True)) == {"done"}
    assert outbox.deliver_ready() == 0  # nothing is delivered twice
    assert len(probe.seen) == 5


@pytest.mark.django_db
def test_a_failure_is_retried_with_backoff_and_holds_back_its_aggregate_only(tenant, owner, probe):
    first, second = GroupFactory(created_by=owner), GroupFactory(created_by=owner)
    a1, a2, b1 = _people(tenant, 3)
    actions.add_members(first, actor=owner, people=[a1])
    actions.add_members(first, actor=owner, people=[a2])
    actions.add_members(second, actor=owner, people=[b1])
    probe.fail_on[a1.pk] = ConnectionError("endpoint down")

    assert outbox.deliver_ready() == 1  # only the other group's event
    assert [e.payload["user_id"] for e in probe.seen] == [b1.pk]
    failed = OutboxDelivery.objects.get(handler="probe", event__payload__user_id=a1.pk)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert "ConnectionError: endpoint down" in failed.last_error
    assert timezone.now() < failed.next_attempt_at <= timezone.now() + timedelta(seconds=3)
    waiting = OutboxDelivery.objects.get(handler="probe", event__payload__user_id=a2.pk)
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # held back, not attempted

    # The endpoint recovers; when the retry is due, both run in their order.
    probe.fail_on.clear()
    OutboxDelivery.objects.filter(pk=failed.pk).update(next_attempt_at=timezone.now())
    assert outbox.deliver_ready() == 2
    assert [e.payload["user_id"] for e in probe.seen] == [b1.pk, a1.pk, a2.pk]


@pytest.mark.django_db
def test_retry_later_honours_the_servers_wait(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    person = UserFactory(tenant=tenant)
    actions.add_members(group, actor=owner, people=[person])
    probe.fail_on[person.pk] = RetryLater("429 Too Many Requests", after=120)
    outbox.deliver_ready()
    delivery = OutboxDelivery.objects.get(handler="probe")
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=119)


@pytest.mark.django_db
def test_give_up_fails_at_once_and_lets_the_aggregate_go_on(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    rejected, next_one = _people(tenant, 2)
    actions.add_members(group, actor=owner, people=[rejected])
    actions.add_members(group, actor=owner, people=[next_one])
    probe.fail_on[rejected.pk] = GiveUp("400 Bad Request: userName invalid")
    assert outbox.deliver_ready() == 1
    failed = OutboxDelivery.objects.get(handler="probe", event__payload__user_id=rejected.pk)
    assert failed.status == "failed"
    assert "userName invalid" in failed.last_error
    assert [e.payload["user_id"] for e in probe.seen] == [next_one.pk]


@pytest.mark.django_db
def test_retries_stop_after_the_maximum_attempts(settings, tenant, owner, probe):
    settings.OUTBOX = {**settings.OUTBOX, "MAX_ATTEMPTS": 3}
    group = GroupFactory(created_by=owner)
    person = UserFactory(tenant=tenant)
    actions.add_members(group, actor=owner, people=[person])
    probe.fail_on[person.pk] = ValueError("always broken")
    for _ in range(3):
        OutboxDelivery.objects.update(next_attempt_at=timezone.now())
        outbox.deliver_ready()
    delivery = OutboxDelivery.objects.get(handler="probe")
    assert (delivery.status, delivery.attempts) == ("failed", 3)


@pytest.mark.django_db
def test_a_lease_left_by_a_dead_worker_expires_and_the_delivery_runs_again(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    actions.add_members(group, actor=owner, people=_people(tenant, 2))
    claimed = outbox.claim("dead-worker")  # a worker claims both… and dies before running them
    assert len(claimed) == 2
    assert outbox.claim("other-worker") == []  # leased: nobody else takes them meanwhile
    OutboxDelivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert outbox.deliver_ready() == 2
    assert set(OutboxDelivery.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_worker_whose_lease_was_taken_over_stops_instead_of_delivering_twice(
    tenant, owner, probe
):
    group = GroupFactory(created_by=owner)
    actions.add_members(group, actor=owner, people=_people(tenant, 3))
    slow = outbox.claim("slow-worker")
    OutboxDelivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    fast = outbox.claim("fast-worker")  # the slow worker's lease ran out: taken over
    assert [d.pk for d in fast] == [d.pk for d in slow]
    assert outbox.run(slow, "slow-worker") == 0  # it notices and stops
    assert outbox.run(fast, "fast-worker") == 3
    assert len(probe.seen) == 3  # each event once


@pytest.mark.django_db
def test_a_delivery_that_keeps_killing_its_worker_is_given_up(settings, tenant, owner, probe):
    settings.OUTBOX = {**settings.OUTBOX, "MAX_ATTEMPTS": 3}
    group = GroupFactory(created_by=owner)
    actions.add_members(group, actor=owner, people=_people(tenant, 1))
    for attempt in range(3):  # started, then the worker died (no outcome recorded)
        [delivery] = outbox.claim(f"worker-{attempt}")
        assert outbox._start(delivery, f"worker-{attempt}")
        OutboxDelivery.objects.update(leased_until=timezone.now() - timedelta(seconds=1))
    assert outbox.claim("worker-4") == []
    delivery = OutboxDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert "worker stopped" in delivery.last_error


@pytest.mark.django_db
def test_a_handler_this_worker_doesnt_know_is_retried_later_not_failed(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    actions.add_members(group, actor=owner, people=_people(tenant, 1))
    handlers.unregister("probe")  # an older worker during a rolling deploy
    outbox.deliver_ready()
    delivery = OutboxDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=59)
    assert "No handler called 'probe'" in delivery.last_error


@pytest.mark.django_db
def test_the_next_run_is_booked_when_a_retry_waits(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    person = UserFactory(tenant=tenant)
    actions.add_members(group, actor=owner, people=[person])
    probe.fail_on[person.pk] = ConnectionError("down")
    DBTaskResult.objects.all().delete()
    deliver_events.call()
    booked = DBTaskResult.objects.get(task_path=deliver_events.module_path, status="READY")
    retry_at = OutboxDelivery.objects.get(handler="probe").next_attempt_at
    assert booked.run_after == retry_at
    schedule_next_delivery()  # already booked: not twice
    assert DBTaskResult.objects.filter(status="READY").count() == 1


@pytest.mark.django_db
def test_failing_deliveries_show_up_for_the_operator(client, tenant, owner, probe):
    from django.contrib.auth import get_user_model

    group = GroupFactory(created_by=owner)
    person = UserFactory(tenant=tenant, display_name="Pat Provisioned")
    actions.add_members(group, actor=owner, people=[person])
    OutboxDelivery.objects.update(attempts=4, last_error="ConnectionError: endpoint down")
    operator = get_user_model().objects.create_superuser("operator@example.test", "x")
    client.force_login(operator)
    page = client.get("/admin/tenants/outboxdelivery/", {"trouble": "failing"}).content.decode()
    assert "endpoint down" in page
    delivery = OutboxDelivery.objects.get()
    OutboxDelivery.objects.update(status="failed")
    response = client.post(
        "/admin/tenants/outboxdelivery/",
        {"action": "retry_now", "_selected_action": [delivery.pk]},
        follow=True,
    )
    assert "1 delivery will run again" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)


@pytest.mark.django_db
def test_retry_now_leaves_a_delivery_that_is_running_alone(tenant, owner, probe):
    group = GroupFactory(created_by=owner)
    actions.add_members(group, actor=owner, people=_people(tenant, 1))
    [running] = outbox.claim("busy-worker")
    assert outbox.retry_now([running.pk]) == (0, 0)
    assert OutboxDelivery.objects.get().lease_token == "busy-worker"


@pytest.mark.django_db
def test_a_periodic_job_is_enqueued_once_per_interval():
    DBTaskResult.objects.all().delete()
    PeriodicRun.objects.all().delete()
    assert "outbox delivery" in worker.enqueue_due_jobs()
    assert worker.enqueue_due_jobs() == []  # booked for a minute later
    assert DBTaskResult.objects.filter(task_path=deliver_events.module_path).count() == 1
    PeriodicRun.objects.filter(name="outbox delivery").update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )
    assert worker.enqueue_due_jobs() == ["outbox delivery"]  # the others aren't due yet


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_delivery(on_postgres, tenant, owner, probe):
    import threading

    groups = [GroupFactory(created_by=owner) for _ in range(30)]
    person = UserFactory(tenant=tenant)
    for group in groups:  # thirty aggregates, one delivery each
        actions.add_members(group, actor=owner, people=[person])
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = [[], []]

    def claim(index: int) -> None:
        try:
            barrier.wait()
            claimed[index] = [d.pk for d in outbox.claim(f"worker-{index}")]
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == 30  # 20 heads a claim: one took the rest
