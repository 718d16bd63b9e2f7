from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings


class NotificationsConfig(AppConfig):
    """Email, the panel's notification list, preferences, signed links and housekeeping.

    Stands on applications, groups and tenants; nothing below imports it. It tells people
    about changes by subscribing a worker handler to their events (tenants/handlers.py), and
    runs housekeeping as a periodic job of the worker (tenants/worker.py).
    """

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from notifications import inbox
        from notifications.tasks import housekeeping
        from tenants.handlers import handles
        from tenants.worker import every

        handles("notifications", kinds=inbox.KINDS)(inbox.handle)
        minutes = settings.NOTIFICATIONS["HOUSEKEEPING_EVERY_MINUTES"]
        if minutes:
            every(timedelta(minutes=minutes), name="housekeeping", task=housekeeping)
