from datetime import timedelta

from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and people"

    def ready(self) -> None:
        from tenants.admin import declared_filters_everywhere
        from tenants.tasks import deliver_events
        from tenants.worker import every

        # The safety net behind the wake-ups that actions enqueue (tenants/events.py).
        every(timedelta(minutes=1), name="outbox delivery", task=deliver_events)
        # Django admin's apps registered their admins before this runs (admin comes first).
        declared_filters_everywhere()
