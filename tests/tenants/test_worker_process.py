"""A real `manage.py db_worker` process delivers the outbox, and survives being killed."""

import signal
from collections import Counter

import pytest

from groups import actions
from tenants import handlers
from tenants.models import OutboxDelivery
from tests.factories import GroupFactory, UserFactory
from tests.outbox_probe.apps import PROBE_KINDS, record_effect
from tests.processes import db_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _only_the_probes(monkeypatch):
    """These tests watch the outbox's own machinery: the product's handlers (notifications)
    are set aside, so only the probes here get deliveries."""
    monkeypatch.setattr(handlers, "_registry", {})


@pytest.fixture
def probe_handler():
    """The probe is registered here too, so actions create its deliveries."""
    handlers.handles("probe", kinds=PROBE_KINDS)(record_effect)
    yield
    handlers.unregister("probe")


def _lines(path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_killing_the_worker_mid_batch_loses_nothing_and_does_nothing_twice(
    tmp_path, tenant, owner, probe_handler
):
    group = GroupFactory(created_by=owner)
    people = [UserFactory(tenant=tenant) for _ in range(20)]
    actions.add_members(group, actor=owner, people=people)  # 20 events, one batch
    deliveries = OutboxDelivery.objects.filter(handler="probe")
    assert deliveries.count() == 20
    env = {"PROBE_DIR": str(tmp_path), "PROBE_SLEEP": "0.3", "OUTBOX_LEASE_SECONDS": "2"}
    calls, effects = tmp_path / "calls.log", tmp_path / "effects.log"

    with db_worker(env=env) as first:
        wait_for(lambda: len(_lines(calls)) >= 5, what="the first worker to start delivering")
        first.send_signal(signal.SIGKILL)  # in the middle of the batch
        first.wait(timeout=10)
    assert deliveries.filter(status="done").count() < 20  # the batch was cut short

    with db_worker(env=env):
        wait_for(
            lambda: deliveries.filter(status="done").count() == 20,
            timeout=90,
            what="a second worker to finish the batch",
        )

    event_ids = sorted(str(pk) for pk in deliveries.values_list("event_id", flat=True))
    assert sorted(_lines(effects)) == event_ids  # every effect exactly once
    redelivered = [pk for pk, count in Counter(_lines(calls)).items() if count > 1]
    assert redelivered, "the delivery in flight when the worker died ran again (at least once)"
