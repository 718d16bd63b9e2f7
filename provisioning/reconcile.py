"""Reconcile: compare who should have an account at an application with what the application
really holds, and fix the difference (after an outage, when provisioning is switched on for an
application that already has access, or when someone changed accounts at the application).

It reads the application's users once (a page of 100 at a time), then calls the provisioner
only for the people whose account differs: people with access and no active account, people
without access whose account is active, and mappings that are out of date. Users of the
application that aren't ours (no externalId or userName of this tenant) are left alone.
"""

from dataclasses import dataclass, field

from provisioning.models import ProvisioningTarget, RemoteAccount
from provisioning.provisioner import Busy, open_remote, sync_account, wanted_people
from provisioning.remote import Found, RemoteError
from tenants.models import User
from tenants.text import is_id

GIVE_UP_AFTER = 5  # temporary failures in a row: the endpoint is down, stop for this run


@dataclass
class Report:
    application: str
    checked: int = 0
    fixed: dict[str, int] = field(default_factory=dict)  # operation → people
    failed: int = 0
    busy: int = 0
    stopped: str = ""  # why the run stopped early, if it did

    def __str__(self) -> str:
        done = ", ".join(f"{n} {op}d" for op, n in sorted(self.fixed.items())) or "nothing to fix"
        line = f"{self.application}: {self.checked} people checked, {done}"
        if self.failed:
            line += f", {self.failed} failed (see the provisioning log)"
        if self.busy:
            line += f", {self.busy} being changed by a worker (next run)"
        return line + (f"; stopped: {self.stopped}" if self.stopped else "")


def reconcile(application_id: int | None = None) -> list[Report]:
    """Reconcile every application with provisioning on (or just this one)."""
    targets = ProvisioningTarget.objects.filter(enabled=True).select_related("application")
    if application_id is not None:
        targets = targets.filter(application_id=application_id)
    return [_reconcile(target) for target in targets.order_by("application_id")]


def _reconcile(target: ProvisioningTarget) -> Report:
    application = target.application
    report = Report(application=application.name)
    try:
        with open_remote(target) as endpoint:
            remote_users = list(endpoint.each_user())
            by_id = {user.id: user for user in remote_users}
            wanted = set(wanted_people(application.pk))
            mapped = {a.person_id: a for a in RemoteAccount.objects.filter(application=application)}
            ours = _ours(application.tenant_id, remote_users)
            candidates = sorted(wanted | set(mapped) | set(ours))
            report.checked = len(candidates)
            failures_in_a_row = 0
            for person_id in candidates:
                account = mapped.get(person_id)
                current = ours.get(person_id)
                if account is not None and account.remote_id in by_id:
                    current = by_id[account.remote_id]
                if _matches(account, current, person_id in wanted):
                    continue
                try:
                    operation = sync_account(
                        application.pk,
                        person_id,
                        trigger="reconcile",
                        remote=endpoint,
                        known=current,
                    )
                except Busy:
                    report.busy += 1
                    continue
                except RemoteError as error:
                    report.failed += 1
                    failures_in_a_row = failures_in_a_row + 1 if error.temporary else 0
                    if failures_in_a_row >= GIVE_UP_AFTER:
                        report.stopped = f"the endpoint keeps failing ({error})"
                        break
                    continue
                failures_in_a_row = 0
                if operation:
                    report.fixed[operation] = report.fixed.get(operation, 0) + 1
    except RemoteError as error:
        report.stopped = str(error)
    return report


def _matches(account: RemoteAccount | None, current: Found | None, should: bool) -> bool:
    """Is the person's account (and our mapping of it) already what their access says?"""
    if should:
        return (
            current is not None
            and current.active is True
            and account is not None
            and account.remote_id == current.id
            and account.active
        )
    return (current is None or current.active is False) and (account is None or not account.active)


CHUNK = 1000


def _ours(tenant_id: int, remote_users: list[Found]) -> dict[int, Found]:
    """The application's users that are people of this tenant: by externalId (our id), or by
    userName (their email)."""
    by_external = {int(u.external_id): u for u in remote_users if is_id(u.external_id or "")}
    by_name = {(u.user_name or "").lower(): u for u in remote_users if u.user_name}
    found: dict[int, Found] = {}
    people = User.objects.filter(tenant_id=tenant_id)
    ids = list(by_external)
    for start in range(0, len(ids), CHUNK):
        for pk in people.filter(pk__in=ids[start : start + CHUNK]).values_list("pk", flat=True):
            found[pk] = by_external[pk]
    names = list(by_name)
    for start in range(0, len(names), CHUNK):
        chunk = people.filter(email__in=names[start : start + CHUNK]).values_list("pk", "email")
        for pk, email in chunk:
            found.setdefault(pk, by_name[email])
    return found
