"""Page speed benchmark: render the panel's pages against a large tenant and report timings.

Usage: DATABASE_URL=... .venv/bin/python scripts/bench_pages.py [--groups 2000] [--runs 20]
It creates the tenant "Bench <n>" through actions (plus bulk rows for members and requests),
renders each page with Django's test client (no network), prints median and p95 per page with
its query count, and exits 1 if a median is over its target. It never touches other tenants.
"""

import argparse
import sys

from bench import measure  # sets Django up from this repository
from django.db import connection
from django.test import Client

from groups import actions
from groups.models import JoinRequest, Membership
from tenants.actions import create_tenant, create_user, update_general_settings
from tenants.actors import Actor
from tenants.models import Tenant, User

TARGET_MEDIAN_MS = 150
BENCH = Actor.command_line("bench_pages")


def build(groups: int) -> tuple[User, User, int]:
    name = f"Bench {Tenant.objects.count() + 1}"
    tenant = create_tenant(
        name,
        admin_email=f"admin@{name.replace(' ', '').lower()}.bench",
        admin_password=None,
        actor=BENCH,
    )
    update_general_settings(tenant, actor=BENCH, owners_can_manage_requests=True)
    Tenant.objects.filter(pk=tenant.pk).update(premium_seats=100_000)
    tenant.refresh_from_db()
    admin = User.objects.get(tenant=tenant, role="global_admin")
    people = [
        create_user(f"p{n}@{tenant.pk}.bench", tenant=tenant, actor=BENCH, premium=True)
        for n in range(200)
    ]
    owner = people[0]
    made = [
        actions.create_group(
            actor=admin,
            display_name=f"Group {n:05d}",
            description=f"Benchmark group number {n}",
            group_type="security",
            source="api",
            membership_policy="owner_approval",
            owners=[owner],
        )
        for n in range(groups)
    ]
    Membership.objects.bulk_create(
        Membership(group=g, user=p, added_via="owner") for g in made[:50] for p in people[1:]
    )
    JoinRequest.objects.bulk_create(
        JoinRequest(group=g, requester=people[1 + n % 199], justification="bench")
        for n, g in enumerate(made[50:250])
    )
    return owner, admin, made[0].pk


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    owner, admin, big_group = build(options.groups)
    pages = {
        owner: ["/", "/groups/", "/groups/?q=00", "/approvals/", f"/groups/{big_group}/"],
        admin: ["/admin-center/groups/", "/admin-center/requests/", "/admin-center/audit/"],
    }
    print(f"{connection.vendor}, {options.groups} groups, {options.runs} runs per page")
    print(f"{'page':<32}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    slow = []
    for user, paths in pages.items():
        client = Client()
        client.force_login(user)
        for path in paths:
            median, p95, queries = measure(client, path, options.runs)
            print(f"{path:<32}{median:>10.1f}{p95:>10.1f}{queries:>9}")
            if median > TARGET_MEDIAN_MS:
                slow.append(path)
    if slow:
        print(f"over the {TARGET_MEDIAN_MS} ms median target: {', '.join(slow)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
