"""A stand-in for an outside system (a SCIM endpoint, a mail server) in worker-process tests.

Installed only by tests/worker_settings.py. Its handler has an *external* effect, a line in a
file, that a database rollback can't undo, so exactly-once effects must come from the
handler's idempotency: it records each event once, however often it is delivered.
"""

import os
import time
from pathlib import Path

from django.apps import AppConfig

PROBE_KINDS = ["member.added"]


def record_effect(event) -> None:
    """Log every call; write the effect only if this event's effect isn't there yet."""
    directory = Path(os.environ["PROBE_DIR"])
    with (directory / "calls.log").open("a") as calls:
        calls.write(f"{event.pk}\n")
    effects = directory / "effects.log"
    done = effects.read_text().split() if effects.exists() else []
    if str(event.pk) not in done:
        with effects.open("a") as log:
            log.write(f"{event.pk}\n")
    time.sleep(float(os.environ.get("PROBE_SLEEP", "0")))  # a slow endpoint: time to be killed


class OutboxProbeConfig(AppConfig):
    name = "tests.outbox_probe"

    def ready(self) -> None:
        from tenants.handlers import handles

        handles("probe", kinds=PROBE_KINDS)(record_effect)
