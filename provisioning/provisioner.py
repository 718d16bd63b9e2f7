"""The provisioner: one person's account at one application is made to match their access.

The worker calls `sync_account` for every `access.granted` / `access.revoked` event (the
handler below), and `reconcile` (provisioning/reconcile.py) for the people whose account
differs from their access. Either way it acts on the current state, not on the event, so a
replayed or late event changes nothing:

- with access (not blocked, active): an active account, created (`POST /Users`) or, if the
  application already has the person (by userName, then externalId), re-activated
  (`PATCH active=true`);
- without: the account, if any, deactivated (`PATCH active=false`). Nothing is ever deleted.

One worker at a time changes one account: it claims the `RemoteAccount` row with a conditional
UPDATE (`claimed_until`, `claim_token`) and makes no remote call without the claim. A worker
that dies leaves its claim to lapse after PROVISIONING_CLAIM_SECONDS. No database transaction
is held open during a remote call. docs/provisioning.md has the whole story.
"""

import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from applications.models import Access
from provisioning.models import (
    Operation,
    Outcome,
    ProvisioningAttempt,
    ProvisioningTarget,
    RemoteAccount,
)
from provisioning.remote import Found, Remote, RemoteError
from tenants.handlers import GiveUp, RetryLater, handles
from tenants.models import EventKind, OutboxEvent, User
from tenants.secrets import Unreadable, unseal

BUSY_RETRY_SECONDS = 5


class Busy(Exception):
    """Another worker is changing this account right now."""


UNKNOWN = object()  # `known`: the remote state wasn't read beforehand


def subscribe() -> None:
    handles("provisioning", kinds=[EventKind.ACCESS_GRANTED, EventKind.ACCESS_REVOKED])(
        on_access_changed
    )


def on_access_changed(event: OutboxEvent) -> None:
    """The worker's handler: network trouble, 429 and 5xx are retried with backoff (honouring
    Retry-After); any other 4xx gives up at once, recorded with the response body."""
    payload = event.payload
    last_try = getattr(event, "attempt", 1) >= settings.OUTBOX["MAX_ATTEMPTS"]
    try:
        sync_account(
            payload["application_id"], payload["user_id"], trigger="event", last_try=last_try
        )
    except Busy:
        raise RetryLater(
            "Another worker is changing this account.", after=BUSY_RETRY_SECONDS
        ) from None
    except RemoteError as error:
        if error.temporary:
            raise RetryLater(str(error), after=error.retry_after) from error
        raise GiveUp(str(error)) from error


def enabled_target(application_id: int) -> ProvisioningTarget | None:
    return (
        ProvisioningTarget.objects.select_related("application")
        .filter(application_id=application_id, enabled=True)
        .first()
    )


def open_remote(target: ProvisioningTarget) -> Remote:
    try:
        token = unseal(target.sealed_token) if target.sealed_token else ""
    except Unreadable as error:
        raise RemoteError(f"{error} Enter the token again in the Admin center.") from error
    return Remote(target.scim_url, token)


def wanted_people(application_id: int):
    """Who should have an active account: access, not blocked, active in the directory."""
    return Access.objects.filter(
        application_id=application_id, blocked=False, user__is_active=True
    ).values_list("user_id", flat=True)


@dataclass
class _Claim:
    account: RemoteAccount
    token: str


def _claim(application_id: int, person_id: int) -> _Claim:
    person_exists = User.objects.filter(pk=person_id).exists()
    RemoteAccount.objects.bulk_create(
        [
            RemoteAccount(
                application_id=application_id,
                person_id=person_id,
                user_id=person_id if person_exists else None,
            )
        ],
        ignore_conflicts=True,  # it may be there already, or be made at this moment
    )
    token, now = uuid.uuid4().hex, timezone.now()
    rows = RemoteAccount.objects.filter(application_id=application_id, person_id=person_id)
    claimed = rows.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(
        claimed_until=now + timedelta(seconds=settings.PROVISIONING_CLAIM_SECONDS),
        claim_token=token,
    )
    if not claimed:
        raise Busy()
    return _Claim(account=rows.get(), token=token)


def sync_account(
    application_id: int,
    person_id: int,
    *,
    trigger: str,
    remote: Remote | None = None,
    known=UNKNOWN,
    last_try: bool = True,
) -> str | None:
    """Make the person's account at the application match their access; returns the operation
    done (create, reactivate, deactivate) or None. `known` is the application's user for this
    person as a complete listing just read it (reconcile), or None for none; without it the
    mapping is trusted when it already matches (an event replayed: no call at all). A
    temporary failure is logged as "will retry" unless this is the `last_try`."""
    target = enabled_target(application_id)
    if target is None:
        return None
    claim = _claim(application_id, person_id)
    account = claim.account
    person = User.objects.filter(pk=person_id).first()
    wanted = person is not None and wanted_people(application_id).filter(user_id=person_id).exists()
    attempt = _Attempt(target, person, person_id, trigger, last_try)
    attempt.operation = (
        (Operation.REACTIVATE if account.remote_id else Operation.CREATE)
        if wanted
        else Operation.DEACTIVATE
    )
    try:
        if known is UNKNOWN and account.active == wanted and (account.remote_id or not wanted):
            return None  # already so: an event replayed, or one that changed nothing here
        with nullcontext(remote) if remote else open_remote(target) as endpoint:
            found = _converge(endpoint, account, person, wanted, known, attempt)
    except RemoteError as error:
        attempt.record(error)
        raise
    else:
        if attempt.operation_done:
            attempt.record(None)
        RemoteAccount.objects.filter(pk=account.pk, claim_token=claim.token).update(
            remote_id=found.id if found else account.remote_id,
            active=bool(found and found.active),
            synced_at=timezone.now(),
            user_id=person.pk if person else None,
        )
        return attempt.operation_done
    finally:
        RemoteAccount.objects.filter(pk=account.pk, claim_token=claim.token).update(
            claimed_until=None, claim_token=""
        )


def _converge(
    endpoint: Remote, account: RemoteAccount, person, wanted: bool, known, attempt: "_Attempt"
) -> Found | None:
    """The remote calls that bring the account where it should be; the account as it ends."""
    current = known
    if current is UNKNOWN:
        current = endpoint.get(account.remote_id) if account.remote_id else None
        if current is None and person is not None:
            current = endpoint.find(user_name=person.email, external_id=str(person.pk))
    if wanted:
        if current is None:
            attempt.operation = Operation.CREATE
            current = endpoint.create(
                user_name=person.email, external_id=str(person.pk), display_name=person.display_name
            )
        elif current.active is not True:
            attempt.operation = Operation.REACTIVATE
            if not endpoint.set_active(current.id, True):  # gone since we read it
                attempt.operation = Operation.CREATE
                current = endpoint.create(
                    user_name=person.email,
                    external_id=str(person.pk),
                    display_name=person.display_name,
                )
        else:
            return current  # active there already: only our mapping was behind
        attempt.operation_done = attempt.operation
        return Found(current.id, True, current.user_name, current.external_id)
    if current is not None and current.active is not False:
        attempt.operation = Operation.DEACTIVATE
        endpoint.set_active(current.id, False)
        attempt.operation_done = attempt.operation
        return Found(current.id, False, current.user_name, current.external_id)
    return current


class _Attempt:
    """What one sync tried, for the provisioning log."""

    def __init__(
        self, target: ProvisioningTarget, person, person_id: int, trigger: str, last_try: bool
    ) -> None:
        self.target, self.person, self.person_id, self.trigger = target, person, person_id, trigger
        self.last_try = last_try
        self.operation: str | None = None
        self.operation_done: str | None = None

    def record(self, error: RemoteError | None) -> None:
        person = self.person
        label = f"{person.display_name} <{person.email}>" if person else f"Person #{self.person_id}"
        ProvisioningAttempt.objects.create(
            tenant_id=self.target.application.tenant_id,
            application_id=self.target.application_id,
            user=person,
            person_label=label[:300],
            operation=self.operation,
            outcome=(
                Outcome.SUCCESS
                if error is None
                else Outcome.RETRYING
                if error.temporary and not self.last_try
                else Outcome.FAILED
            ),
            http_status=error.status if error else None,
            error=str(error) if error else "",
            trigger=self.trigger,
        )
