"""Reads for provisioning pages: an application's settings and accounts, and the log."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from provisioning.models import Outcome, ProvisioningAttempt, ProvisioningTarget, RemoteAccount

FAILURE_WINDOW = timedelta(days=7)
FAILURES = [Outcome.FAILED, Outcome.RETRYING]  # a retried attempt failed too


def target_of(application) -> ProvisioningTarget | None:
    return ProvisioningTarget.objects.filter(application=application).first()


def account_counts(application) -> dict[str, int]:
    """Accounts we keep at the application: active and deactivated."""
    counts = (
        RemoteAccount.objects.filter(application=application)
        .exclude(remote_id="")
        .aggregate(on=Count("pk", filter=Q(active=True)), off=Count("pk", filter=Q(active=False)))
    )  # (aliases can't be the field's own name)
    return {"active": counts["on"], "inactive": counts["off"]}


def provisioned_applications(tenant_id: int) -> list[tuple[int, str]]:
    """(id, name) of the tenant's applications with provisioning settings, by name."""
    return list(
        ProvisioningTarget.objects.filter(application__tenant_id=tenant_id)
        .order_by("application__name")
        .values_list("application_id", "application__name")
    )


def status_of(application) -> dict:
    """An application's provisioning at a glance (its page's card): settings, accounts and
    failures in the last 7 days."""
    since = timezone.now() - FAILURE_WINDOW
    return {
        "target": target_of(application),
        "accounts": account_counts(application),
        "failures": ProvisioningAttempt.objects.filter(
            application=application, at__gte=since, outcome__in=FAILURES
        ).count(),
    }


@dataclass(frozen=True)
class LogFilters:
    application_id: int | None = None
    outcome: str = ""
    operation: str = ""
    person: str = ""  # part of a name or email


def attempts(tenant_id: int, filters: LogFilters) -> QuerySet:
    """The tenant's provisioning log, newest first, filtered."""
    found = ProvisioningAttempt.objects.filter(tenant_id=tenant_id).select_related("application")
    if filters.application_id:
        found = found.filter(application_id=filters.application_id)
    if filters.outcome:
        found = found.filter(outcome=filters.outcome)
    if filters.operation:
        found = found.filter(operation=filters.operation)
    if filters.person:
        found = found.filter(person_label__icontains=filters.person)
    return found.order_by("-at", "-id")


def recent_failures(tenant_id: int) -> list[dict]:
    """Per application, provisioning attempts that failed in the last 7 days (the Overview)."""
    since = timezone.now() - FAILURE_WINDOW
    return list(
        ProvisioningAttempt.objects.filter(tenant_id=tenant_id, at__gte=since, outcome__in=FAILURES)
        .values("application_id", "application__name")
        .annotate(failures=Count("pk"))
        .order_by("-failures", "application__name")[:10]
    )
