"""Settings for a `db_worker` process started by the tests: the product plus the probe."""

from accessportal.settings import *  # noqa: F403
from accessportal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.outbox_probe"]
