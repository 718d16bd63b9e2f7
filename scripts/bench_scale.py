"""Directory-scale benchmark: every page of issue 14 on the tenant `manage.py seed_scale` builds.

Usage (after `manage.py seed_scale` on the same database):

    DATABASE_URL=postgres://... .venv/bin/python scripts/bench_scale.py [--runs 30]
        [--concurrency 4] [--seconds 3] [--plans] [--out docs/scale.md] [--only TEXT]

For each page it measures, in this process with Django's test client, the median and p95 of
`--runs` renders and the number of SQL queries, and its p95 in floors (over the p95 of the
floor, below, rendered just before it); then, over HTTP against gunicorn (2 sync
workers on a free port of 127.0.0.1, started and stopped here), the median latency and the
throughput at a fixed concurrency, with a trivial signed-in page (the API tokens page of a
person who has none) measured just before and just after it as the floor; the page's
throughput is reported as a share of that floor. With `--plans` it prints each query's
`EXPLAIN ANALYZE`; a sequential scan of memberships, requests, people or audit events in a
page query is always reported. It writes the results as a Markdown table (`--out`) and exits
1 when a page misses its target. It changes nothing but sessions and one API token.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

os.environ.setdefault("DEMO", "1")  # as deployed: DEBUG off, the product's error pages
os.environ.setdefault("API_RATE_LIMIT", "1000000/m")  # the benchmark is not a client to limit
os.environ.setdefault("DB_CONN_MAX_AGE", "60")  # in-process too, as deployed (README)

from bench import explain, measure, seq_scans  # sets Django up from this repository
from django.conf import settings
from django.db import connection
from django.test import Client

from api.actions import create_api_token
from applications.management.commands import seed_scale
from applications.models import Access, Application
from groups import selectors
from groups.models import Group, Membership
from tenants import pagination
from tenants.actors import Actor
from tenants.models import AuditEvent, Tenant, User

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PANEL_P95, ADMIN_P95, SHARE = 30.0, 50.0, 0.25
FLOOR = "/api-tokens/"  # the API tokens page of a person who has none


@dataclass
class Page:
    label: str
    viewer: str  # email
    path: str
    target_p95: float
    share_target: float | None = None  # of the floor's throughput
    headers: dict | None = None
    api: bool = False


@dataclass
class Result:
    page: Page
    median: float
    p95: float
    queries: int
    http_p50: float = 0.0
    rps: float = 0.0
    floor_rps: float = 0.0
    floor_p95: float = 0.0  # in-process, measured just before the page
    scans: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        return self.rps / self.floor_rps if self.floor_rps else 0.0

    @property
    def fast(self) -> bool:
        return self.p95 <= self.page.target_p95

    @property
    def shared(self) -> bool | None:
        """The throughput target met; None when the page has none or HTTP wasn't measured."""
        if self.page.share_target is None or not self.floor_rps:
            return None
        return self.share >= self.page.share_target

    @property
    def met(self) -> bool:
        return self.fast and self.shared is not False


def cursor_at(queryset, order: list[str], position: int) -> str:
    """The cursor that starts a page at `position` (0-based) of this ordered list."""
    names = [name.lstrip("-") for name in order]
    row = queryset.order_by(*order).values_list(*names)[position - 1]
    return pagination.encode(list(row))


def pages(tenant: Tenant) -> list[Page]:
    member = User.objects.get(email=seed_scale.MEMBER_EMAIL)
    big = Group.objects.get(tenant=tenant, display_name=seed_scale.BIG_GROUP)
    intranet = Application.objects.get(tenant=tenant, name="Intranet")
    admin, owner = seed_scale.ADMIN_EMAIL, seed_scale.OWNER_EMAIL
    big_owner, member_email = seed_scale.BIG_OWNER_EMAIL, seed_scale.MEMBER_EMAIL
    directory = selectors.directory(member)
    half = Group.objects.filter(tenant=tenant).count() // 2
    discover_deep = cursor_at(directory, list(selectors.DISCOVER_ORDER), half)
    members = Membership.objects.filter(group=big)
    members_deep = cursor_at(members, list(selectors.MEMBER_ORDER), big.member_count // 2)
    audit = AuditEvent.objects.filter(tenant=tenant)
    audit_deep = cursor_at(audit, ["-created_at", "-id"], 500_000)
    access = Access.objects.filter(application=intranet)
    access_deep = cursor_at(access, ["user__display_name", "user_id"], access.count() // 2)
    pending_deep = cursor_at(
        selectors.requests_to_decide(User.objects.get(email=admin)), ["created_at", "id"], 10_000
    )
    app = f"/admin-center/applications/{intranet.pk}/"
    return [
        Page("Floor: a trivial signed-in page", member_email, FLOOR, PANEL_P95),
        Page("My groups, typical member", member_email, "/", PANEL_P95, SHARE),
        Page("Discover", member_email, "/groups/", PANEL_P95, SHARE),
        Page(
            "Discover, half-way",
            member_email,
            f"/groups/?after={discover_deep}",
            PANEL_P95,
            SHARE,
        ),
        Page("Discover, search “finance”", member_email, "/groups/?q=finance", PANEL_P95, SHARE),
        Page("Group of 50,000: page 1", big_owner, f"/groups/{big.pk}/", PANEL_P95, SHARE),
        Page(
            "Group of 50,000: half-way",
            big_owner,
            f"/groups/{big.pk}/?after={members_deep}",
            PANEL_P95,
            SHARE,
        ),
        Page(
            "Group of 50,000: members (HTMX)",
            big_owner,
            f"/groups/{big.pk}/members/?after={members_deep}",
            PANEL_P95,
            headers={"HTTP_HX_REQUEST": "true"},
        ),
        Page("Approvals, owner with 5,000 pending", owner, "/approvals/", PANEL_P95),
        Page("Approvals, global admin (20,000)", admin, "/approvals/", PANEL_P95),
        Page("Approvals, admin, half-way", admin, f"/approvals/?after={pending_deep}", PANEL_P95),
        Page("Effective access (50,000)", admin, app, PANEL_P95),
        Page("Effective access, half-way", admin, f"{app}?after={access_deep}", PANEL_P95),
        Page(
            "Effective access, the list (HTMX)",
            admin,
            f"{app}access/?after={access_deep}",
            PANEL_P95,
            headers={"HTTP_HX_REQUEST": "true"},
        ),
        Page("Admin center: Overview", admin, "/admin-center/", ADMIN_P95),
        Page("Admin center: Requests", admin, "/admin-center/requests/", ADMIN_P95),
        Page("Admin center: Request history", admin, "/admin-center/requests/history/", ADMIN_P95),
        Page("Admin center: Audit log", admin, "/admin-center/audit/", ADMIN_P95),
        Page(
            "Admin center: Audit log, deep",
            admin,
            f"/admin-center/audit/?after={audit_deep}",
            ADMIN_P95,
        ),
        Page(
            "Admin center: Audit log, one action",
            admin,
            "/admin-center/audit/?action=request.denied",
            ADMIN_P95,
        ),
        Page("Admin center: Users", admin, "/admin-center/users/", ADMIN_P95),
        Page("Admin center: Groups", admin, "/admin-center/groups/", ADMIN_P95),
        Page("Django admin: join requests", admin, "/admin/groups/joinrequest/", ADMIN_P95),
        Page("Django admin: people", admin, "/admin/tenants/user/", ADMIN_P95),
        Page("Django admin: groups", admin, "/admin/groups/group/", ADMIN_P95),
        Page("Django admin: audit events", admin, "/admin/tenants/auditevent/", ADMIN_P95),
        Page("API: groups", admin, "/api/v1/groups", PANEL_P95, api=True),
        Page(
            "API: members of 50,000", admin, f"/api/v1/groups/{big.pk}/members", PANEL_P95, api=True
        ),
        Page("API: requests", admin, "/api/v1/requests", PANEL_P95, api=True),
        Page(
            "API: effective access (50,000)",
            admin,
            f"/api/v1/applications/{intranet.pk}/access",
            PANEL_P95,
            api=True,
        ),
    ]


# --- over HTTP -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {**os.environ, "DB_CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "accessportal.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            get(port, "/accounts/login/", {})
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def get(port: int, path: str, headers: dict) -> tuple[int, float]:
    start = time.perf_counter()
    connection_ = HTTPConnection(HOST, port, timeout=30)
    try:
        connection_.request("GET", path, headers={"Host": HOST, **headers})
        response = connection_.getresponse()
        response.read()
        return response.status, (time.perf_counter() - start) * 1000
    finally:
        connection_.close()


def load(port: int, path: str, headers: dict, *, concurrency: int, seconds: float):
    """(median latency ms, requests per second) at `concurrency` for `seconds`."""
    latencies: list[float] = []
    failures: list[int] = []
    stop = time.monotonic() + seconds

    def worker():
        while time.monotonic() < stop:
            status, took = get(port, path, headers)
            (latencies if status == 200 else failures).append(took if status == 200 else status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if failures:
        raise SystemExit(f"{path}: HTTP {sorted(set(failures))}")
    return statistics.median(latencies), len(latencies) / elapsed


# --- the run -------------------------------------------------------------------------------------


def signed_in(email: str) -> tuple[Client, dict]:
    """A test client signed in as this person, and the same session as an HTTP cookie."""
    client = Client(HTTP_HOST=HOST)
    client.force_login(User.objects.get(email=email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return client, {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--plans", action="store_true", help="print every query's plan")
    parser.add_argument("--no-http", action="store_true", help="in-process timings only")
    parser.add_argument("--only", default="", help="pages whose label contains this text")
    parser.add_argument("--out", default="docs/scale.md")
    options = parser.parse_args()
    tenant = Tenant.objects.filter(name=seed_scale.TENANT).first()
    if tenant is None:
        raise SystemExit("No tenant “Scale”: run `manage.py seed_scale` on this database first.")
    people = User.objects.filter(tenant=tenant).count()
    groups = Group.objects.filter(tenant=tenant).count()
    print(f"{connection.vendor}: tenant “Scale”, {people:,} people, {groups:,} groups")
    chosen = [p for p in pages(tenant) if options.only.lower() in p.label.lower()]
    viewers = {page.viewer for page in chosen} | {seed_scale.MEMBER_EMAIL}  # the floor's too
    sessions = {email: signed_in(email) for email in viewers}
    admin = User.objects.get(email=seed_scale.ADMIN_EMAIL)
    _, token = create_api_token(admin, actor=Actor.command_line("bench_scale"), name="bench")
    bearer = {"Authorization": f"Bearer {token}"}
    results = []
    print(f"{'page':<42}{'median':>8}{'p95':>8}{'queries':>8}  seq scans")
    for page in chosen:
        client, _ = sessions[page.viewer]
        headers = {"HTTP_AUTHORIZATION": bearer["Authorization"]} if page.api else {}
        headers |= page.headers or {}
        floor_p95 = measure(sessions[seed_scale.MEMBER_EMAIL][0], FLOOR, options.runs)[1]
        median, p95, queries = measure(client, page.path, options.runs, **headers)
        plans = explain(client, page.path, **headers)
        scans = tuple(sorted({table for _, plan in plans for table in seq_scans(plan)}))
        results.append(Result(page, median, p95, queries, floor_p95=floor_p95, scans=scans))
        print(f"{page.label:<42}{median:>8.1f}{p95:>8.1f}{queries:>8}  {', '.join(scans)}")
        if options.plans:
            for sql, plan in plans:
                print(f"\n  {sql[:300]}\n    " + plan.replace("\n", "\n    "))
    if not options.no_http:
        http(results, sessions, bearer, options)
    write_table(results, Path(options.out), people=people, groups=groups, options=options)
    missed = [r.page.label for r in results if not r.met]
    print("All pages meet their targets." if not missed else f"Missed: {', '.join(missed)}")
    return 1 if missed else 0


def http(results: list[Result], sessions: dict, bearer: dict, options) -> None:
    port = free_port()
    server = start_gunicorn(port)
    floor_path = FLOOR
    _, floor_cookie = sessions[seed_scale.MEMBER_EMAIL]
    try:
        run = {"concurrency": options.concurrency, "seconds": options.seconds}
        load(port, floor_path, floor_cookie, **run)  # warm both workers up
        print(f"\nover HTTP: gunicorn, 2 sync workers, concurrency {options.concurrency}")
        print(f"{'page':<42}{'p50 ms':>8}{'req/s':>8}{'floor':>8}{'share':>8}")
        for result in results:
            page = result.page
            _, cookie = sessions[page.viewer]
            headers = dict(bearer) if page.api else dict(cookie)
            if page.headers:
                headers["HX-Request"] = "true"
            _, floor_before = load(port, floor_path, floor_cookie, **run)
            result.http_p50, result.rps = load(port, page.path, headers, **run)
            _, floor_after = load(port, floor_path, floor_cookie, **run)
            result.floor_rps = (floor_before + floor_after) / 2
            print(
                f"{page.label:<42}{result.http_p50:>8.1f}{result.rps:>8.1f}"
                f"{result.floor_rps:>8.1f}{result.share:>8.0%}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


def write_table(results: list[Result], out: Path, *, people: int, groups: int, options) -> None:
    lines = [
        f"Measured by `scripts/bench_scale.py` on the tenant of `manage.py seed_scale` "
        f"({people:,} people, {groups:,} groups), {connection.vendor}, "
        f"{options.runs} renders per page in-process; over HTTP gunicorn with 2 sync workers "
        f"at concurrency {options.concurrency} for {options.seconds:g} s per page, the floor "
        "(a trivial signed-in page) measured before and after each page.",
        "",
        "The p95 in floors (the page's p95 over the floor's, the floor rendered in-process "
        "just before the page) doesn't depend on the machine's speed as milliseconds do: it "
        "says what the page costs beside a page that does nothing.",
        "",
        "| page | queries | in-process ms, median (p95) | p95 in floors | HTTP p50 ms "
        "| throughput vs floor | p95 target | met | throughput target | met |",
        "|---|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for r in results:
        http_cells = f"{r.http_p50:.0f} | {r.share:.0%}" if r.floor_rps else "– | –"
        scans = f" (seq scan: {', '.join(r.scans)})" if r.scans else ""
        floors = f"{r.p95 / r.floor_p95:.1f}"
        share_target = f"≥ {r.page.share_target:.0%} of floor" if r.page.share_target else "–"
        shared = {None: "–", True: "yes", False: "**no**"}[r.shared]
        lines.append(
            f"| {r.page.label}{scans} | {r.queries} | {r.median:.1f} ({r.p95:.1f}) | {floors} | "
            f"{http_cells} | p95 ≤ {r.page.target_p95:g} ms | {'yes' if r.fast else '**no**'} | "
            f"{share_target} | {shared} |"
        )
    text = "\n".join(lines) + "\n"
    if out.exists() and "<!-- bench_scale -->" in out.read_text():
        before, _, rest = out.read_text().partition("<!-- bench_scale -->")
        _, _, after = rest.partition("<!-- /bench_scale -->")
        text = f"{before}<!-- bench_scale -->\n{text}<!-- /bench_scale -->{after}"
    out.write_text(text)
    print(f"Table written to {out}")


if __name__ == "__main__":
    sys.exit(main())
