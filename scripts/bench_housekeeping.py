"""Housekeeping and notification benchmark: a backlog of due reminders and ending memberships.

Usage: DATABASE_URL=postgres://... .venv/bin/python scripts/bench_housekeeping.py [--requests 5000]
It builds the tenant "Housekeeping bench <n>": one owner-approval group whose owner has
`--requests` pending requests, 4 days old (each due a reminder), and `--requests` members whose
memberships end within the day (each due a warning) plus as many already ended. It then times
one housekeeping run, a second run at once (which must do nothing), the worker delivering the
reminders as emails (locmem backend: no mail leaves), and the Admin center's request history
page and CSV export. Other tenants in the database are visited by housekeeping too.
"""

import argparse
import time
from datetime import timedelta

from bench import measure  # sets Django up from this repository
from django.conf import settings
from django.test import Client
from django.utils import timezone

from groups.models import Group, JoinRequest, Membership, Ownership
from notifications import housekeeping
from tenants import outbox
from tenants.actions import create_tenant, update_lifecycle_settings
from tenants.actors import Actor
from tenants.models import OutboxEvent, Tenant, User

BENCH = Actor.command_line("bench_housekeeping")


def build(count: int) -> tuple[Tenant, User]:
    name = f"Housekeeping bench {Tenant.objects.count() + 1}"
    tenant = create_tenant(
        name,
        admin_email=f"admin@{name.replace(' ', '').lower()}.bench",
        admin_password=None,
        actor=BENCH,
    )
    update_lifecycle_settings(tenant, actor=BENCH, expire_requests_after_days=None)
    admin = User.objects.get(tenant=tenant, role="global_admin")
    people = User.objects.bulk_create(
        User(tenant=tenant, email=f"p{n}@{tenant.pk}.bench", display_name=f"Person {n:06d}")
        for n in range(3 * count + 1)
    )
    owner, askers, members = people[0], people[1 : count + 1], people[count + 1 :]
    asked, kept = Group.objects.bulk_create(
        Group(
            tenant=tenant,
            display_name=label,
            group_type="security",
            source="admin_center",
            membership_policy="owner_approval",
        )
        for label in ("Asked", "Time-bound")
    )
    Ownership.objects.bulk_create([Ownership(group=g, user=owner) for g in (asked, kept)])
    four_days_ago = timezone.now() - timedelta(days=4)
    JoinRequest.objects.bulk_create(
        JoinRequest(group=asked, tenant=tenant, requester=p, justification="bench") for p in askers
    )
    JoinRequest.objects.filter(group=asked).update(created_at=four_days_ago)
    now = timezone.now()
    Membership.objects.bulk_create(
        Membership(
            group=kept,
            user=p,
            added_via="owner",
            ends_at=now + (timedelta(hours=12) if n % 2 else -timedelta(minutes=5)),
            term_days=30,
        )
        for n, p in enumerate(members)
    )
    return tenant, admin


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["*"]
    start = time.perf_counter()
    tenant, admin = build(args.requests)
    print(f"built {tenant}: {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    report = housekeeping.run()
    print(f"housekeeping, first run: {time.perf_counter() - start:.1f} s ({report})")
    start = time.perf_counter()
    again = housekeeping.run()
    print(f"housekeeping, second run: {time.perf_counter() - start:.2f} s (total {again.total})")

    reminders = OutboxEvent.objects.filter(tenant=tenant, kind="request.reminded").count()
    start = time.perf_counter()
    delivered = 0
    while True:
        batch = outbox.deliver_ready(budget_seconds=60)
        delivered += batch
        if not batch:
            break
    print(
        f"worker: {delivered} deliveries ({reminders} reminders) in "
        f"{time.perf_counter() - start:.1f} s"
    )

    client = Client()
    client.force_login(admin)
    for path in ("/admin-center/requests/history/", "/admin-center/requests/history/?q=Person"):
        median, p95, queries = measure(client, path, runs=20)
        print(f"{path}: median {median:.0f} ms, p95 {p95:.0f} ms, {queries} queries")
    start = time.perf_counter()
    response = client.get("/admin-center/requests/history.csv")
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1
    print(f"history CSV: {rows} rows in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
