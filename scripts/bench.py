"""What the benchmark scripts share: Django set up from the repository, and timing a page."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(client: Client, path: str, runs: int, **headers) -> tuple[float, float, int]:
    """Median and p95 milliseconds of `runs` renders of `path` (after one warm-up), and the
    number of SQL queries one render makes."""
    client.get(path, **headers)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path, **headers)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[max(int(len(timings) * 0.95) - 1, 0)], len(queries)


# Tables whose sequential scan inside a page query is a finding (scripts/bench_scale.py).
BIG_TABLES = (
    "groups_membership",
    "groups_joinrequest",
    "tenants_user",
    "tenants_auditevent",
)


def explain(client: Client, path: str, **headers) -> list[tuple[str, str]]:
    """Each SELECT one render of `path` makes, with its plan (PostgreSQL's EXPLAIN ANALYZE);
    [] elsewhere. The caller prints them and looks for seq scans (`seq_scans`)."""
    if connection.vendor != "postgresql":
        return []
    with CaptureQueriesContext(connection) as queries:
        client.get(path, **headers)
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {sql}")
            plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def seq_scans(plan: str) -> list[str]:
    """The big tables a plan reads from start to end."""
    return [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]
