"""A directory-scale tenant "Scale" for benchmarks (SPEC section 7, docs/scale.md).

    manage.py seed_scale [--users 100000] [--groups 20000] [--memberships 1000000]
                         [--pending 20000] [--seed 14]

People with realistic names, groups of every type and policy (one of 50,000 members, "All
staff"), about ten groups per person, one owner (owner@scale.example) with 5,000 requests
waiting in their groups, pending and decided requests, applications given to groups and
people (with who has access computed), and an audit row for everything it creates (about
1.1 million at the defaults). Counts in the group rows are set from what was written.

It writes rows directly, in bulk, because the actions' per-row checks would take hours at
this size: PostgreSQL's COPY, or batched INSERTs on SQLite (small sizes, the tests). The
tenant, its first admin, the settings and the applications still go through actions. One
transaction: it builds the whole tenant or nothing. It refuses when "Scale" exists.
"""

import json
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.core.management.base import CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from applications import actions as app_actions
from applications.models import Access, Assignment
from groups.models import (
    Group,
    GroupSource,
    GroupType,
    JoinRequest,
    Membership,
    MembershipPolicy,
    Ownership,
)
from tenants.actions import create_tenant, update_general_settings, update_tenant
from tenants.actors import Actor
from tenants.management.commands._base import OperatorCommand
from tenants.models import AuditEvent, EventKind, Tenant, User
from tenants.text import name_key

TENANT = "Scale"
DOMAIN = "scale.example"
ADMIN_EMAIL = f"admin@{DOMAIN}"
OWNER_EMAIL = f"owner@{DOMAIN}"  # owns the groups with OWNER_PENDING requests waiting
MEMBER_EMAIL = f"member@{DOMAIN}"  # a typical member: about ten groups
BIG_OWNER_EMAIL = f"big.owner@{DOMAIN}"  # owns "All staff"
PASSWORD = "scale-password-2026"  # the named people's; everyone else has no usable password
BIG_GROUP = "All staff"
BIG_MEMBERS = 50_000
OWNER_PENDING = 5_000
OWNER_GROUPS = 100
DECIDED_PER_PENDING = 1.5  # 30,000 decided requests beside 20,000 pending
APPLICATIONS = 20
COMMAND = Actor.command_line("seed_scale")

FIRST = [
    "Ada",
    "Adrian",
    "Aisha",
    "Akira",
    "Alba",
    "Alex",
    "Alice",
    "Amara",
    "Amir",
    "Ana",
    "Andrea",
    "Anil",
    "Anna",
    "Arjun",
    "Aron",
    "Astrid",
    "Ayla",
    "Bea",
    "Ben",
    "Bianca",
    "Boris",
    "Bruno",
    "Carla",
    "Carlos",
    "Chen",
    "Chiara",
    "Chloe",
    "Clara",
    "Dan",
    "Dara",
    "David",
    "Diego",
    "Dina",
    "Ece",
    "Elena",
    "Eli",
    "Elif",
    "Ella",
    "Emil",
    "Emily",
    "Emma",
    "Enzo",
    "Eva",
    "Farah",
    "Felix",
    "Femi",
    "Fiona",
    "Frida",
    "Gabriel",
    "Grace",
    "Greta",
    "Hana",
    "Hannah",
    "Hugo",
    "Ida",
    "Ilya",
    "Ines",
    "Ingrid",
    "Isaac",
    "Ivan",
    "Jack",
    "Jana",
    "Javier",
    "Jin",
    "Joao",
    "Jonas",
    "Julia",
    "Kai",
    "Karim",
    "Kate",
    "Kenji",
    "Lara",
    "Leo",
    "Lena",
    "Li",
    "Liam",
    "Lina",
    "Lucas",
    "Luis",
    "Maja",
    "Malik",
    "Marco",
    "Maria",
    "Mark",
    "Maya",
    "Mei",
    "Mila",
    "Mohammed",
    "Nadia",
    "Nia",
    "Nico",
    "Nina",
    "Noah",
    "Nora",
    "Olga",
    "Omar",
    "Oscar",
    "Paula",
    "Pedro",
    "Priya",
    "Rafael",
    "Rania",
    "Ravi",
    "Rosa",
    "Ruth",
    "Sami",
    "Sara",
    "Sean",
    "Sofia",
    "Sven",
    "Tariq",
    "Tom",
    "Uma",
    "Vera",
    "Victor",
    "Yara",
    "Yusuf",
    "Zara",
    "Zoe",
]
LAST = [
    "Abbott",
    "Adams",
    "Akhtar",
    "Alvarez",
    "Andersen",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Campbell",
    "Castro",
    "Chen",
    "Costa",
    "Cruz",
    "Dahl",
    "Davies",
    "Diaz",
    "Dubois",
    "Eriksen",
    "Evans",
    "Fischer",
    "Flores",
    "Fontaine",
    "Garcia",
    "Gomez",
    "Gupta",
    "Hansen",
    "Hoffmann",
    "Horvat",
    "Ibrahim",
    "Ito",
    "Jansen",
    "Jensen",
    "Johnson",
    "Kaur",
    "Keller",
    "Khan",
    "Kim",
    "Kowalski",
    "Kruger",
    "Larsen",
    "Laurent",
    "Lee",
    "Lopez",
    "Lorenz",
    "Martin",
    "Meyer",
    "Mishra",
    "Moreau",
    "Muller",
    "Nakamura",
    "Nguyen",
    "Nielsen",
    "Novak",
    "Okafor",
    "Olsen",
    "Ortiz",
    "Park",
    "Patel",
    "Perez",
    "Petrov",
    "Rossi",
    "Russo",
    "Sato",
    "Schmidt",
    "Schulz",
    "Silva",
    "Singh",
    "Smith",
    "Sousa",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thomas",
    "Torres",
    "Tran",
    "Vogel",
    "Wagner",
    "Walker",
    "Wang",
    "Weber",
    "Wilson",
    "Wong",
    "Yamamoto",
    "Yilmaz",
    "Young",
    "Zhang",
    "Ziegler",
]
DEPARTMENTS = [
    "Finance",
    "Legal",
    "Sales",
    "Marketing",
    "Engineering",
    "Research",
    "Support",
    "Operations",
    "Security",
    "Design",
    "Procurement",
    "Facilities",
    "Training",
    "Recruiting",
    "Payroll",
    "Data",
    "Platform",
    "Mobile",
    "Web",
    "Partners",
]
TOPICS = [
    "project Atlas",
    "project Borealis",
    "project Cobalt",
    "project Delta",
    "project Ember",
    "team leads",
    "reviewers",
    "on-call",
    "approvers",
    "contractors",
    "interns",
    "newsletter",
    "all hands",
    "planning",
    "budget",
    "audit",
    "tooling",
    "site visitors",
    "site members",
    "readers",
    "editors",
    "guild",
    "working group",
    "book club",
]
APP_NAMES = [
    "Intranet",
    "Expenses",
    "Travel",
    "Payroll portal",
    "CRM",
    "Wiki",
    "Code review",
    "Ticketing",
    "Design library",
    "Learning",
    "Benefits",
    "Recruiting",
    "Analytics",
    "Status page",
    "Build farm",
    "Marketing site",
    "Legal vault",
    "Procurement",
    "Facilities booking",
    "Partner portal",
]


class Progress:
    """A one-line progress bar on stderr: what is being written, how far, how long so far."""

    WIDTH = 30

    def __init__(self, total_steps: int, *, quiet: bool) -> None:
        self.total, self.done, self.quiet = total_steps, 0, quiet
        self.started = time.monotonic()

    def step(self, label: str) -> None:
        self.done += 1
        if self.quiet:
            return
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} {elapsed:6.1f}s  {label:<40}")
        sys.stderr.flush()

    def finish(self) -> None:
        if not self.quiet:
            sys.stderr.write("\n")


class Writer:
    """Inserts many rows fast: COPY on PostgreSQL, batched INSERTs elsewhere. Ids are taken
    from the table's sequence first, so rows can point at each other before they exist."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def reserve(self, model: type[models.Model], count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            start = cursor.fetchone()[0] + 1
            return list(range(start, start + count))

    def write(self, model: type[models.Model], fields: list[str], rows) -> int:
        """Insert `rows` (tuples in the order of `fields`, model field names)."""
        table = model._meta.db_table
        columns = [model._meta.get_field(name).column for name in fields]
        written = 0
        with connection.cursor() as cursor:
            if self.postgres:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
                return written
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch = []
            for row in rows:
                batch.append([_sqlite(value) for value in row])
                if len(batch) == 2000:
                    cursor.executemany(sql, batch)
                    written, batch = written + len(batch), []
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
        return written


def _sqlite(value):
    """SQLite stores moments as UTC text, as Django writes them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


class Command(OperatorCommand):
    help = (
        'Build the directory-scale tenant "Scale" for benchmarks (defaults: 100,000 people, '
        "20,000 groups, 1,000,000 memberships, 20,000 pending requests)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--groups", type=int, default=20_000)
        parser.add_argument("--memberships", type=int, default=1_000_000)
        parser.add_argument("--pending", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=14, help="random seed (same data)")

    def handle(self, *args, **options):
        users, groups = options["users"], options["groups"]
        memberships, pending = options["memberships"], options["pending"]
        if users < 10 or groups < 10:
            raise CommandError("--users and --groups must be at least 10.")
        if memberships < 0 or pending < 0:
            raise CommandError("--memberships and --pending can't be negative.")
        if memberships > users * groups // 2:
            raise CommandError("--memberships must be at most half of users × groups.")
        existing = Tenant.objects.filter(name__iexact=TENANT).first()
        if existing is not None:
            raise CommandError(
                f"Tenant “{existing.name}” already exists (id {existing.pk}, "
                f"{existing.users.count():,} people): seed_scale builds it only once. "
                "Use another database, or drop this one and migrate again."
            )
        quiet = options["verbosity"] == 0
        started = time.monotonic()
        plan = Plan(
            users=users,
            groups=groups,
            memberships=memberships,
            pending=pending,
            rng=random.Random(options["seed"]),
        )
        with transaction.atomic():
            totals = Seeder(plan, Progress(12, quiet=quiet)).run()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fresh statistics and visibility maps
                cursor.execute("VACUUM ANALYZE")
        if not quiet:
            self.stdout.write(
                f"Tenant “{TENANT}” built in {time.monotonic() - started:.0f} s: "
                + ", ".join(f"{count:,} {what}" for what, count in totals.items())
                + f". Sign in as {ADMIN_EMAIL}, {OWNER_EMAIL}, {MEMBER_EMAIL} or "
                f"{BIG_OWNER_EMAIL} with the password {PASSWORD}."
            )


class Plan:
    """Who is in which group and who asked for what, drawn before anything is written."""

    def __init__(self, *, users, groups, memberships, pending, rng: random.Random) -> None:
        self.rng = rng
        self.user_count, self.group_count = users, groups
        self.big_members = min(BIG_MEMBERS, users // 2)
        self.owner_groups = min(OWNER_GROUPS, max(1, (groups - 1) // 10))
        self.owner_pending = min(OWNER_PENDING, pending // 4)
        self.memberships_wanted = memberships
        self.pending_wanted = pending


class Seeder:
    def __init__(self, plan: Plan, progress: Progress) -> None:
        self.plan, self.rng, self.progress = plan, plan.rng, progress
        self.writer = Writer()
        self.now = timezone.now()
        self.audit: list[tuple] = []  # (moment, actor index, action, target type/id/label, data)
        self.totals: dict[str, int] = {}

    def ago(self, days_max: float, days_min: float = 0) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(days_min, days_max))

    def run(self) -> dict[str, int]:
        self.tenant_and_admin()
        self.people()
        self.group_rows()
        self.owners()
        self.members()
        self.requests()
        self.write_groups()
        self.applications()
        self.write_audit()
        self.progress.finish()
        return self.totals

    # --- the tenant, through actions ---------------------------------------------------------

    def tenant_and_admin(self) -> None:
        self.progress.step("tenant")
        plan = self.plan
        self.tenant = create_tenant(
            TENANT,
            admin_email=ADMIN_EMAIL,
            admin_password=PASSWORD,
            admin_display_name="Scale Admin",
            actor=COMMAND,
        )
        update_tenant(self.tenant, actor=COMMAND, premium_seats=plan.user_count + 10)
        update_general_settings(self.tenant, actor=COMMAND, owners_can_manage_requests=True)
        self.admin = User.objects.get(tenant=self.tenant, email=ADMIN_EMAIL)

    # --- people ------------------------------------------------------------------------------

    def people(self) -> None:
        self.progress.step(f"{self.plan.user_count:,} people")
        plan, rng = self.plan, self.rng
        count = plan.user_count
        ids = self.writer.reserve(User, count)
        self.user_ids = ids
        named = {
            0: (OWNER_EMAIL, "Owen Owner"),
            1: (MEMBER_EMAIL, "Mia Member"),
            2: (BIG_OWNER_EMAIL, "Bea Bigowner"),
        }
        from django.contrib.auth.hashers import make_password

        password = make_password(PASSWORD)
        self.names: list[str] = []
        rows = []
        for n, pk in enumerate(ids):
            if n in named:
                email, name = named[n]
                hashed = password
            else:
                first, last = rng.choice(FIRST), rng.choice(LAST)
                name = f"{first} {last}"
                email = f"{first}.{last}.{n}@{DOMAIN}".lower()
                hashed = "!"  # unusable: these people sign in through their identity provider
            self.names.append(name)
            joined = self.ago(730, 400)
            premium = n < 3 or rng.random() < 0.9
            rows.append(
                (
                    pk,
                    hashed,
                    None,
                    email,
                    name,
                    self.tenant.pk,
                    "member",
                    premium,
                    True,
                    False,
                    joined,
                    "",
                    "",
                )
            )
            self.audit.append(
                (joined, EventKind.USER_CREATED, "user", pk, f"{name} <{email}>", {"email": email})
            )
        fields = ["id", "password", "last_login", "email", "display_name", "tenant", "role"]
        fields += ["has_premium_license", "is_active", "is_superuser", "date_joined"]
        fields += ["external_id", "scim_user_name"]
        self.totals["people"] = self.writer.write(User, fields, rows) + 1
        from allauth.account.models import EmailAddress

        EmailAddress.objects.bulk_create(
            EmailAddress(user_id=ids[n], email=named[n][0], primary=True, verified=True)
            for n in named
        )

    # --- groups ------------------------------------------------------------------------------

    def group_rows(self) -> None:
        self.progress.step(f"{self.plan.group_count:,} groups")
        plan, rng = self.plan, self.rng
        count = plan.group_count
        self.group_ids = self.writer.reserve(Group, count)
        self.groups = []
        types = [GroupType.SECURITY] * 12 + [GroupType.MICROSOFT365] * 6
        types += [GroupType.MAIL_ENABLED_SECURITY, GroupType.DISTRIBUTION]
        policies = [MembershipPolicy.OWNER_APPROVAL] * 2 + [MembershipPolicy.OPEN] * 2
        policies += [MembershipPolicy.CLOSED]
        sources = [GroupSource.ACCESS_PANEL] * 3 + [GroupSource.API, GroupSource.ADMIN_CENTER]
        for n, pk in enumerate(self.group_ids):
            if n == 0:
                name, kind, policy = BIG_GROUP, GroupType.SECURITY, MembershipPolicy.OWNER_APPROVAL
                description = "Everyone on the payroll."
            else:
                dept, topic = rng.choice(DEPARTMENTS), rng.choice(TOPICS)
                name = f"{dept} {topic} {n:05d}"
                description = f"{dept}: {topic}."
                kind, policy = rng.choice(types), rng.choice(policies)
                if 1 <= n <= plan.owner_groups:  # the busy owner's groups take requests
                    kind, policy = GroupType.SECURITY, MembershipPolicy.OWNER_APPROVAL
            self.groups.append(
                {
                    "id": pk,
                    "name": name,
                    "description": description,
                    "type": kind,
                    "policy": policy,
                    "source": rng.choice(sources),
                    "created_at": self.ago(700, 30),
                }
            )

    def owners(self) -> None:
        self.progress.step("owners")
        plan, rng, users = self.plan, self.rng, self.user_ids
        self.owner_of: dict[int, list[int]] = {}
        for n, group in enumerate(self.groups):
            if n == 0:
                owners = [users[2]]
            elif n <= plan.owner_groups:
                owners = [users[0]]
            else:
                owners = rng.sample(users[3:], 2 if rng.random() < 0.3 else 1)
            self.owner_of[group["id"]] = owners
        rows = []
        for group in self.groups:
            for user_id in self.owner_of[group["id"]]:
                moment = group["created_at"]
                rows.append((group["id"], user_id, None, moment))
                self.audit.append(
                    (
                        moment,
                        EventKind.OWNER_ADDED,
                        "group",
                        group["id"],
                        group["name"],
                        {"user": {"id": user_id, "label": self.name_of(user_id)}},
                    )
                )
        self.totals["ownerships"] = len(rows)
        self._ownership_rows = rows

    def name_of(self, user_id: int) -> str:
        return self.names[user_id - self.user_ids[0]]

    def members(self) -> None:
        """The big group first, then the rest spread unevenly (a few large groups, many small
        ones), no one twice in a group; the typical member gets about the average."""
        self.progress.step(f"{self.plan.memberships_wanted:,} memberships")
        plan, rng, users = self.plan, self.rng, self.user_ids
        wanted = plan.memberships_wanted
        pairs: set[tuple[int, int]] = set()
        big = self.group_ids[0]
        for user_id in rng.sample(users, min(plan.big_members, wanted)):
            pairs.add((big, user_id))
        others = self.group_ids[1:]
        weights = [1 / (rank + 10) for rank in range(len(others))]
        rng.shuffle(weights)
        cumulative, total = [], 0.0
        for weight in weights:
            total += weight
            cumulative.append(total)
        average = max(1, wanted // plan.user_count)
        typical = users[1]
        for group_id in rng.sample(others, min(average, len(others))):
            pairs.add((group_id, typical))
        while len(pairs) < wanted:
            missing = wanted - len(pairs)
            chosen = rng.choices(others, cum_weights=cumulative, k=missing)
            people = rng.choices(users[3:], k=missing)
            pairs.update(zip(chosen, people, strict=True))
        self.member_pairs = pairs
        self.member_count: dict[int, int] = defaultdict(int)
        created = {group["id"]: group["created_at"] for group in self.groups}
        names = {group["id"]: group["name"] for group in self.groups}
        vias = ["owner", "owner", "request", "join", "admin", "system"]
        rows = []
        for group_id, user_id in pairs:
            self.member_count[group_id] += 1
            moment = self.now - (self.now - created[group_id]) * rng.random()
            via = rng.choice(vias)
            rows.append((group_id, user_id, None, via, moment, None, None))
            self.audit.append(
                (
                    moment,
                    EventKind.MEMBER_ADDED,
                    "group",
                    group_id,
                    names[group_id],
                    {"user": {"id": user_id, "label": self.name_of(user_id)}, "via": via},
                )
            )
        self._membership_rows = rows

    def requests(self) -> None:
        """Pending requests (the busy owner's share in their groups, the rest in other
        owner-approval groups) and decided ones, never from a member or twice pending."""
        self.progress.step(f"{self.plan.pending_wanted:,} pending requests")
        plan, rng, users = self.plan, self.rng, self.user_ids
        owner_groups = self.group_ids[1 : plan.owner_groups + 1]
        approval = [
            g["id"]
            for g in self.groups[plan.owner_groups + 1 :]
            if g["policy"] == MembershipPolicy.OWNER_APPROVAL
            and g["type"] in (GroupType.SECURITY, GroupType.MICROSOFT365)
        ] or owner_groups
        taken: set[tuple[int, int]] = set()

        def draw(groups: list[int], count: int) -> list[tuple[int, int]]:
            found = []
            while len(found) < count:
                pair = (rng.choice(groups), rng.choice(users[3:]))
                if pair not in taken and pair not in self.member_pairs:
                    taken.add(pair)
                    found.append(pair)
            return found

        pending_pairs = draw(owner_groups, plan.owner_pending)
        pending_pairs += draw(approval, plan.pending_wanted - plan.owner_pending)
        decided_count = int(plan.pending_wanted * DECIDED_PER_PENDING)
        decided_pairs = draw(owner_groups, decided_count // 10)
        decided_pairs += draw(approval, decided_count - len(decided_pairs))
        ids = self.writer.reserve(JoinRequest, len(pending_pairs) + len(decided_pairs))
        names = {group["id"]: group["name"] for group in self.groups}
        self.pending_count: dict[int, int] = defaultdict(int)
        rows = []
        outcomes = [JoinRequest.Status.DENIED] * 6 + [JoinRequest.Status.CANCELLED] * 2
        outcomes += [JoinRequest.Status.EXPIRED]
        for n, (group_id, user_id) in enumerate(pending_pairs + decided_pairs):
            pk = ids[n]
            pending = n < len(pending_pairs)
            created = self.ago(60 if pending else 300, 0 if pending else 61)
            label = self.name_of(user_id)
            justification = f"I work with {names[group_id].rsplit(' ', 1)[0]}."
            data = {"request": pk, "requester": {"id": user_id, "label": label}}
            self.audit.append(
                (
                    created,
                    EventKind.REQUEST_CREATED,
                    "group",
                    group_id,
                    names[group_id],
                    {**data, "justification": justification},
                )
            )
            if pending:
                self.pending_count[group_id] += 1
                status, decided_by, decided_at, reason = JoinRequest.Status.PENDING, None, None, ""
            else:
                status = rng.choice(outcomes)
                decided_at = created + timedelta(hours=rng.uniform(1, 240))
                decided_by = None
                if status == JoinRequest.Status.DENIED:
                    decided_by = self.owner_of[group_id][0]
                elif status == JoinRequest.Status.CANCELLED:
                    decided_by = user_id
                reason = "Not needed for this role." if status == "denied" else ""
                kind = {
                    JoinRequest.Status.DENIED: EventKind.REQUEST_DENIED,
                    JoinRequest.Status.CANCELLED: EventKind.REQUEST_CANCELLED,
                    JoinRequest.Status.EXPIRED: EventKind.REQUEST_EXPIRED,
                }[status]
                self.audit.append(
                    (
                        decided_at,
                        kind,
                        "group",
                        group_id,
                        names[group_id],
                        {**data, "reason": reason},
                    )
                )
            rows.append(
                (
                    pk,
                    group_id,
                    self.tenant.pk,
                    "",
                    user_id,
                    justification,
                    status,
                    decided_by,
                    reason,
                    created,
                    decided_at,
                )
            )
        self.totals["pending requests"] = len(pending_pairs)
        self.totals["decided requests"] = len(decided_pairs)
        self._request_rows = rows

    def write_groups(self) -> None:
        self.progress.step("writing groups, owners, members")
        rows = []
        for group in self.groups:
            pk = group["id"]
            rows.append(
                (
                    pk,
                    self.tenant.pk,
                    group["name"],
                    name_key(group["name"]),
                    group["description"],
                    group["type"],
                    group["source"],
                    group["policy"],
                    self.admin.pk,
                    group["created_at"],
                    group["created_at"],
                    "",
                    None,
                    False,
                    None,
                    None,
                    None,
                    self.member_count.get(pk, 0),
                    self.pending_count.get(pk, 0),
                )
            )
            self.audit.append(
                (
                    group["created_at"],
                    EventKind.GROUP_CREATED,
                    "group",
                    pk,
                    group["name"],
                    {"display_name": group["name"], "group_type": group["type"]},
                )
            )
        fields = ["id", "tenant", "display_name", "name_key", "description", "group_type"]
        fields += ["source", "membership_policy", "created_by", "created_at", "updated_at"]
        fields += ["external_id", "default_membership_days", "members_can_renew"]
        fields += ["expiration_selected_at", "renewed_at", "deleted_at"]
        fields += ["member_count", "pending_count"]
        self.totals["groups"] = self.writer.write(Group, fields, rows)
        self.writer.write(
            Ownership, ["group", "user", "added_by", "created_at"], self._ownership_rows
        )
        self.progress.step("writing memberships")
        fields = ["group", "user", "added_by", "added_via", "created_at", "ends_at", "term_days"]
        self.totals["memberships"] = self.writer.write(Membership, fields, self._membership_rows)
        self.progress.step("writing requests")
        fields = ["id", "group", "tenant", "group_name", "requester", "justification", "status"]
        fields += ["decided_by", "decision_reason", "created_at", "decided_at"]
        self.writer.write(JoinRequest, fields, self._request_rows)

    # --- applications, through actions, and who has access -----------------------------------

    def applications(self) -> None:
        self.progress.step("applications and access")
        rng = self.rng
        apps = []
        for n, name in enumerate(APP_NAMES[:APPLICATIONS]):
            kind = "site" if "site" in name.lower() or n % 3 == 0 else "saas_app"
            apps.append(
                app_actions.create_application(
                    actor=self.admin, name=name, kind=kind, description=f"{name} for everyone."
                )
            )
        assignments = [(apps[0].pk, "group", self.group_ids[0])]  # the Intranet: All staff
        for application in apps[1:]:
            for group_id in rng.sample(self.group_ids[1:], 5):
                assignments.append((application.pk, "group", group_id))
            for user_id in rng.sample(self.user_ids[3:], 3):
                assignments.append((application.pk, "user", user_id))
        rows = [
            (
                app_id,
                kind,
                target if kind == "user" else None,
                target if kind == "group" else None,
                None,
                self.admin.pk,
                self.now,
            )
            for app_id, kind, target in assignments
        ]
        fields = ["application", "principal_type", "user", "group", "granting_application"]
        fields += ["created_by", "created_at"]
        self.writer.write(Assignment, fields, rows)
        for app_id, kind, target in assignments:
            label = self.name_of(target) if kind == "user" else "group"
            self.audit.append(
                (
                    self.now,
                    EventKind.ASSIGNMENT_ADDED,
                    "application",
                    app_id,
                    "",
                    {kind: {"id": target, "label": label}},
                )
            )
        # Who has access: everyone in an assigned group, and each person assigned directly
        # (the seed nests no groups and blocks no one, so that is all of it).
        access, assignment = Access._meta.db_table, Assignment._meta.db_table
        membership = Membership._meta.db_table
        app_ids = ", ".join(str(application.pk) for application in apps)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {access} (application_id, user_id, blocked, since)
                SELECT DISTINCT a.application_id, COALESCE(m.user_id, a.user_id), %s, %s
                FROM {assignment} a LEFT JOIN {membership} m ON m.group_id = a.group_id
                WHERE a.application_id IN ({app_ids})
                  AND COALESCE(m.user_id, a.user_id) IS NOT NULL
                """,
                [False, _sqlite(self.now) if connection.vendor != "postgresql" else self.now],
            )
            self.totals["access rows"] = cursor.rowcount
        self.totals["applications"] = len(apps)

    # --- the audit log -------------------------------------------------------------------------

    def write_audit(self) -> None:
        self.progress.step(f"writing {len(self.audit):,} audit events")
        label, tenant_id = str(COMMAND.label)[:300], self.tenant.pk
        self.audit.sort(key=lambda row: row[0])

        def rows():
            for moment, kind, target_type, target_id, target_label, data in self.audit:
                yield (
                    tenant_id,
                    None,
                    COMMAND.kind,
                    label,
                    COMMAND.surface,
                    kind,
                    target_type,
                    str(target_id),
                    target_label[:300],
                    json.dumps(data, ensure_ascii=False),
                    moment,
                )

        fields = ["tenant", "actor", "actor_kind", "actor_label", "surface", "action"]
        fields += ["target_type", "target_id", "target_label", "data", "created_at"]
        self.totals["audit events"] = self.writer.write(AuditEvent, fields, rows())
        self.progress.step("done")
