"""Demo data: Contoso (both scenarios of docs/domain.md with their applications and sites, and
every group type × source × policy) and Fabrikam.

Idempotent: run it again and it adds only what is missing. Everything goes through actions,
so the demo's audit log reads like a real tenant's.
"""

from django.db import transaction

from applications import actions as app_actions
from applications.models import Application, ApplicationKind, Assignment
from groups import actions
from groups.models import Group, GroupSource, GroupType, JoinRequest, MembershipPolicy
from tenants.actions import create_tenant, create_user, update_general_settings
from tenants.actors import Actor, Surface
from tenants.management.commands._base import OperatorCommand
from tenants.models import Tenant, User

DEMO_PASSWORD = "demo-password-2026"
COMMAND = Actor.command_line("seed_demo")


def _cli(person: User) -> Actor:
    """The demo's people act through the command line (so the audit log says so)."""
    return Actor.person(person, Surface.CLI)


CONTOSO_PEOPLE = [
    # email, display name, role, premium
    ("admin@contoso.example", "Ada Admin", User.Role.GLOBAL_ADMIN, True),
    ("olivia@contoso.example", "Olivia Owner", User.Role.MEMBER, True),
    ("manny@contoso.example", "Manny Manager", User.Role.MEMBER, True),
    ("sam@contoso.example", "Sam Sites", User.Role.MEMBER, True),
    ("tara@contoso.example", "Tara Teams", User.Role.MEMBER, True),
    ("rita@contoso.example", "Rita Requester", User.Role.MEMBER, True),
    ("uma@contoso.example", "Uma Unlicensed", User.Role.MEMBER, False),
    *[
        (f"{first.lower()}@contoso.example", f"{first} {last}", User.Role.MEMBER, True)
        for first, last in [
            ("Alex", "Wilber"),
            ("Bianca", "Pisani"),
            ("Carlos", "Slattery"),
            ("Diego", "Siciliani"),
            ("Emily", "Braun"),
            ("Grady", "Archie"),
            ("Henrietta", "Mueller"),
            ("Isaiah", "Langer"),
            ("Johanna", "Lorenz"),
            ("Lee", "Gu"),
        ]
    ],
]

# The README's table of demo sign-ins, word for word (tests/groups/test_seed_demo.py).
DEMO_SIGN_INS = [
    ("admin@contoso.example", "Contoso global admin (Admin center, Django admin)"),
    ("olivia@contoso.example", 'owner of "Expenses users" (seed scenario 1)'),
    (
        "manny@contoso.example",
        "owner of \"Travel bookers\" — can't see Olivia's members (scenario 1)",
    ),
    ("sam@contoso.example", 'owner of "Site collaborators", an owner-approval group (scenario 2)'),
    ("rita@contoso.example", "member with pending requests"),
    ("uma@contoso.example", "member without a Premium license"),
    ("admin@fabrikam.example", "global admin of another tenant, Fabrikam"),
]


class Command(OperatorCommand):
    help = "Create (or complete) the demo tenants Contoso and Fabrikam. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        contoso = self._tenant("Contoso", "admin@contoso.example", "Ada Admin")
        people = {
            email: self._person(contoso, email, name, role, premium)
            for email, name, role, premium in CONTOSO_PEOPLE
        }
        admin = people["admin@contoso.example"]
        update_general_settings(
            contoso,
            actor=_cli(admin),
            owners_can_manage_requests=True,  # self-service on: docs/settings.md
            restrict_access_to_groups=False,
            users_can_create_security_groups=True,
            users_can_create_microsoft365_groups=True,
        )
        self._scenario_delegated(admin, people)
        self._scenario_self_service(admin, people)
        self._every_kind(admin, people)

        fabrikam = self._tenant("Fabrikam", "admin@fabrikam.example", "Fiona Fabrikam")
        fabrikam_admin = User.objects.get(email="admin@fabrikam.example")
        worker = self._person(
            fabrikam, "felix@fabrikam.example", "Felix Fabrikam", User.Role.MEMBER, True
        )
        group = self._group(
            fabrikam_admin, "Fabrikam engineering", GroupType.SECURITY, GroupSource.ADMIN_CENTER
        )
        self._owners(fabrikam_admin, group, [worker])

        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/ as:")
        )
        for email, role in DEMO_SIGN_INS:
            self.stdout.write(f"  {email:<26} {DEMO_PASSWORD}   {role}")

    def _tenant(self, name: str, admin_email: str, admin_name: str) -> Tenant:
        tenant = Tenant.objects.filter(name=name).first()
        if tenant is None:
            tenant = create_tenant(
                name,
                admin_email=admin_email,
                admin_password=DEMO_PASSWORD,
                admin_display_name=admin_name,
                actor=COMMAND,
            )
        return tenant

    def _person(self, tenant: Tenant, email: str, name: str, role: str, premium: bool) -> User:
        person = User.objects.filter(email=email).first()
        if person is None:
            person = create_user(
                email,
                tenant=tenant,
                actor=COMMAND,
                display_name=name,
                role=role,
                premium=premium,
                password=DEMO_PASSWORD,
            )
        return person

    def _group(
        self,
        creator: User,
        name: str,
        group_type: str,
        source: str,
        policy: str | None = None,
        description: str = "",
    ) -> Group:
        group = Group.objects.filter(tenant_id=creator.tenant_id, display_name=name).first()
        if group is None:
            group = actions.create_group(
                actor=_cli(creator),
                display_name=name,
                description=description,
                group_type=group_type,
                source=source,
                membership_policy=policy,
            )
        return group

    def _owners(self, admin: User, group: Group, owners: list[User]) -> None:
        present = set(group.ownerships.values_list("user_id", flat=True))
        for owner in owners:
            if owner.pk not in present:
                actions.add_owner(group, actor=_cli(admin), person=owner)

    def _request(self, group: Group, person: User, justification: str) -> None:
        asked = JoinRequest.objects.filter(group=group, requester=person).exists()
        if not asked and not group.memberships.filter(user=person).exists():
            actions.request_to_join(group, actor=_cli(person), justification=justification)

    def _application(self, admin: User, name: str, kind: str, owners=()) -> Application:
        found = Application.objects.filter(tenant_id=admin.tenant_id, name=name).first()
        if found is None:
            found = app_actions.create_application(
                actor=_cli(admin), name=name, kind=kind, owners=owners
            )
        return found

    def _assign(self, actor: User, application: Application, **principal) -> None:
        (kind, value) = next(iter(principal.items()))
        if not Assignment.objects.filter(application=application, **{kind: value}).exists():
            app_actions.assign(application, actor=_cli(actor), **principal)

    def _scenario_delegated(self, admin: User, people: dict[str, User]) -> None:
        """Scenario 1: admin creates "Expenses users" for a business owner; a second manager."""
        expenses = self._group(
            admin,
            "Expenses users",
            GroupType.SECURITY,
            GroupSource.ADMIN_CENTER,
            description="Everyone who uses the Expenses application. Owned by Finance.",
        )
        self._owners(admin, expenses, [people["olivia@contoso.example"]])
        # The admin assigns "Expenses" to the group and moves everyone with direct access in.
        expenses_app = self._application(admin, "Expenses", ApplicationKind.SAAS_APP)
        if not Assignment.objects.filter(application=expenses_app, group=expenses).exists():
            for name in ("alex", "bianca", "carlos", "diego"):
                self._assign(admin, expenses_app, user=people[f"{name}@contoso.example"])
            app_actions.move_direct_access(
                expenses_app, actor=_cli(admin), group=expenses, remove_direct=True
            )
        # Another application whose direct access the admin can still move into a group.
        payroll = self._application(admin, "Payroll", ApplicationKind.SAAS_APP)
        for name in ("johanna", "lee"):
            self._assign(admin, payroll, user=people[f"{name}@contoso.example"])
        travel = self._group(
            admin,
            "Travel bookers",
            GroupType.SECURITY,
            GroupSource.ADMIN_CENTER,
            description="People who book travel for their teams. Owned by Operations.",
        )
        self._owners(admin, travel, [people["manny@contoso.example"]])
        actions.add_members(
            travel,
            actor=_cli(admin),
            people=[people[f"{n}@contoso.example"] for n in ("emily", "grady")],
        )
        booking = self._application(admin, "Booking tool", ApplicationKind.SAAS_APP)
        self._assign(admin, booking, group=travel)

    def _scenario_self_service(self, admin: User, people: dict[str, User]) -> None:
        """Scenario 2: two site owners share one owner-approval group for both sites; Rita asks
        to join; "Travel" is given to everyone with access to Sam's site."""
        sam, tara = people["sam@contoso.example"], people["tara@contoso.example"]
        shared = self._group(
            sam,
            "Site collaborators",
            GroupType.SECURITY,
            GroupSource.ACCESS_PANEL,
            MembershipPolicy.OWNER_APPROVAL,
            description="Access to Sam's and Tara's SharePoint sites.",
        )
        self._owners(sam, shared, [tara])
        for owner, site_name in ((sam, "Sam's site"), (tara, "Tara's site")):
            site = self._application(admin, site_name, ApplicationKind.SITE, owners=[owner])
            self._assign(owner, site, group=shared)  # each site owner selects the group
        travel = self._application(admin, "Travel", ApplicationKind.SAAS_APP)
        sams_site = Application.objects.get(tenant=admin.tenant, name="Sam's site")
        self._assign(admin, travel, granting_application=sams_site)
        self._request(
            shared, people["rita@contoso.example"], "I coordinate the launch with both teams."
        )
        self._request(
            shared,
            people["henrietta@contoso.example"],
            "I review the marketing pages on both sites.",
        )

    def _every_kind(self, admin: User, people: dict[str, User]) -> None:
        """At least one group of every type × source × policy, some with pending requests."""
        owner = people["olivia@contoso.example"]
        for group_type in GroupType:
            for source in GroupSource:
                for policy in MembershipPolicy:
                    name = f"{group_type.label} · {source.label} · {policy.label}"
                    group = self._group(admin, name, group_type, source, policy)
                    self._owners(admin, group, [owner])
                    if group.is_self_service and policy == MembershipPolicy.OWNER_APPROVAL:
                        self._request(
                            group, people["rita@contoso.example"], "Needed for my project work."
                        )
