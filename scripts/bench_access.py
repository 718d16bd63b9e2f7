"""Effective-access benchmark: one application reaching 100,000 people through nested groups.

Usage: DATABASE_URL=postgres://... .venv/bin/python scripts/bench_access.py [--people 100000]
It builds the tenant "Access bench <n>": a top group nested 3 deep (10 × 5 leaf groups, the
people spread over the leaves), one application assigned to the top group through the action
(so the Access table and the access events are computed as in production), then times the
application's effective-access page (first, middle and last page, a search) with Django's test
client, and streams the whole list as the CSV export does. It never touches other tenants.
"""

import argparse
import sys
import time

from bench import measure  # sets Django up from this repository
from django.db import connection
from django.test import Client

from applications import actions as app_actions
from applications import selectors
from applications.models import Access
from groups.models import Group, GroupNesting, Membership
from tenants import pagination
from tenants.actions import create_tenant
from tenants.actors import Actor
from tenants.models import Tenant, User

BENCH = Actor.command_line("bench_access")
BRANCHES, LEAVES = 10, 5


def build(people: int):
    name = f"Access bench {Tenant.objects.count() + 1}"
    tenant = create_tenant(
        name,
        admin_email=f"admin@{name.replace(' ', '').lower()}.bench",
        admin_password=None,
        actor=BENCH,
    )
    admin = User.objects.get(tenant=tenant, role="global_admin")

    def group(label: str) -> Group:
        return Group(
            tenant=tenant,
            display_name=label,
            group_type="security",
            source="admin_center",
            membership_policy="closed",
        )

    top = Group.objects.bulk_create([group("Everyone")])[0]
    branches = Group.objects.bulk_create([group(f"Branch {b}") for b in range(BRANCHES)])
    leaves = Group.objects.bulk_create(
        [group(f"Team {b}-{leaf}") for b in range(BRANCHES) for leaf in range(LEAVES)]
    )
    GroupNesting.objects.bulk_create(
        [GroupNesting(parent=top, child=branch) for branch in branches]
        + [GroupNesting(parent=branches[n // LEAVES], child=leaf) for n, leaf in enumerate(leaves)]
    )
    users = User.objects.bulk_create(
        (
            User(tenant=tenant, email=f"p{n}@{tenant.pk}.bench", display_name=f"Person {n:06d}")
            for n in range(people)
        ),
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        (
            Membership(group=leaves[n % len(leaves)], user=u, added_via="admin")
            for n, u in enumerate(users)
        ),
        batch_size=5000,
    )
    application = app_actions.create_application(actor=admin, name="Intranet", kind="site")
    _analyze()
    start = time.perf_counter()
    app_actions.assign(application, actor=admin, group=top)
    assigned_in = time.perf_counter() - start
    _analyze()
    return admin, application, assigned_in


def _analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give them soon after."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    admin, application, assigned_in = build(options.people)
    reached = Access.objects.filter(application=application, blocked=False).count()
    last = (reached + selectors.ACCESS_PAGE - 1) // selectors.ACCESS_PAGE
    print(
        f"{connection.vendor}: {reached:,} people reach “{application.name}” through "
        f"{1 + BRANCHES + BRANCHES * LEAVES} nested groups"
    )
    print(
        f"assigning the top group (recomputing everyone's access, one event each): "
        f"{assigned_in:.1f} s"
    )
    client = Client()
    client.force_login(admin)
    base = f"/admin-center/applications/{application.pk}"
    people = selectors.access_people(application).values_list(*selectors.ACCESS_ORDER)

    def after(position: int) -> str:  # the keyset cursor of the page that starts there
        return pagination.encode(list(people[position - 1]))

    pages = [
        ("page 1", f"{base}/"),
        ("page 1, list only (HTMX)", f"{base}/access/"),
        (f"page {last // 2}", f"{base}/?after={after(reached // 2)}"),
        (f"page {last} (last)", f"{base}/?after={after(reached - selectors.ACCESS_PAGE)}"),
        ("search “Person 0999”", f"{base}/?q=Person+0999"),
    ]
    print(f"{'page':<30}{'median ms':>10}{'p95 ms':>10}{'queries':>9}")
    for label, path in pages:
        headers = {"HTTP_HX_REQUEST": "true"} if "/access/" in path else {}
        median, p95, queries = measure(client, path, options.runs, **headers)
        print(f"{label:<30}{median:>10.1f}{p95:>10.1f}{queries:>9}")
    start = time.perf_counter()
    rows = sum(1 for _ in selectors.all_effective_access(application))
    print(
        f"everyone with their paths (the CSV export): {rows:,} rows in "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
