"""Effective access: paths through groups, nested groups and applications; blocks; loops
refused; deactivation; tenants kept apart; exactly one event per (person, application)
whose access changed (docs/access.md)."""

import pytest

from applications import access
from applications import actions as app_actions
from applications.models import Access, Application, ApplicationKind
from groups import actions
from groups.models import GroupType, MembershipPolicy
from tenants.actions import update_user
from tenants.errors import Conflict, Invalid, NotFound
from tenants.models import OutboxEvent
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def _app(admin, name: str, kind: str = ApplicationKind.SAAS_APP) -> Application:
    return app_actions.create_application(actor=admin, name=name, kind=kind)


def _group(admin, name: str, group_type: str = GroupType.SECURITY):
    return GroupFactory(
        created_by=admin,
        display_name=name,
        group_type=group_type,
        source="admin_center",
        membership_policy=MembershipPolicy.CLOSED,
    )


def _has(person, application) -> bool:
    return Access.objects.filter(user=person, application=application, blocked=False).exists()


def _paths(application, person) -> list[str]:
    found = access.paths([application.pk], [person.pk]).get((application.pk, person.pk), [])
    return [access.path_text(steps) for steps in found]


def _access_events(kind: str) -> list[tuple[int, int]]:
    return sorted(
        (e.payload["user_id"], e.payload["application_id"])
        for e in OutboxEvent.objects.filter(kind=kind)
    )


def test_a_direct_assignment_gives_access(tenant_admin, member):
    expenses = _app(tenant_admin, "Expenses")
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    assert _has(member, expenses)
    assert _paths(expenses, member) == ["direct"]


def test_nested_groups_three_deep_give_access_with_the_path(tenant_admin, member, outsider):
    site = _app(tenant_admin, "Marketing", ApplicationKind.SITE)
    visitors, interns, summer = (
        _group(tenant_admin, n) for n in ("Site visitors", "Interns", "Summer interns")
    )
    actions.nest_group(visitors, actor=tenant_admin, child=interns)
    actions.nest_group(interns, actor=tenant_admin, child=summer)
    actions.add_members(summer, actor=tenant_admin, people=[member])
    app_actions.assign(site, actor=tenant_admin, group=visitors)
    assert _has(member, site) and not _has(outsider, site)
    assert _paths(site, member) == [
        "group “Site visitors” → group “Interns” → group “Summer interns”"
    ]
    # Nested groups' members don't count as members of the parent.
    assert not visitors.memberships.filter(user=member).exists()
    actions.unnest_group(interns, actor=tenant_admin, child=summer)
    assert not _has(member, site)


def test_an_application_given_to_another_applications_people(tenant_admin, member):
    """The seed's "add access rights for the application to the SharePoint Online site"."""
    site = _app(tenant_admin, "Marketing", ApplicationKind.SITE)
    travel = _app(tenant_admin, "Travel")
    visitors = _group(tenant_admin, "Site visitors")
    app_actions.assign(site, actor=tenant_admin, group=visitors)
    actions.add_members(visitors, actor=tenant_admin, people=[member])
    app_actions.assign(travel, actor=tenant_admin, granting_application=site)
    assert _has(member, travel)
    assert _paths(travel, member) == ["site “Marketing” → group “Site visitors”"]


def test_a_person_with_several_paths_is_listed_once_with_every_path(tenant_admin, member):
    expenses = _app(tenant_admin, "Expenses")
    users, finance = _group(tenant_admin, "Expenses users"), _group(tenant_admin, "Finance")
    for group in (users, finance):
        actions.add_members(group, actor=tenant_admin, people=[member])
        app_actions.assign(expenses, actor=tenant_admin, group=group)
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    assert Access.objects.filter(user=member, application=expenses).count() == 1
    assert _paths(expenses, member) == ["direct", "group “Expenses users”", "group “Finance”"]
    # Losing one path keeps the access.
    actions.remove_member(users, actor=tenant_admin, person=member)
    assert _has(member, expenses)
    assert _paths(expenses, member) == ["direct", "group “Finance”"]


def test_group_loops_are_refused_and_named(tenant_admin):
    top, middle, bottom = (_group(tenant_admin, n) for n in ("Top", "Middle", "Bottom"))
    actions.nest_group(top, actor=tenant_admin, child=middle)
    actions.nest_group(middle, actor=tenant_admin, child=bottom)
    with pytest.raises(Conflict) as refused:
        actions.nest_group(bottom, actor=tenant_admin, child=top)
    assert "“Bottom” → “Top” → “Middle” → “Bottom”" in refused.value.message
    with pytest.raises(Conflict, match="loop"):
        actions.nest_group(top, actor=tenant_admin, child=top)


def test_only_security_groups_nest(tenant_admin):
    security = _group(tenant_admin, "Security")
    teams = _group(tenant_admin, "Teams", GroupType.MICROSOFT365)
    with pytest.raises(Invalid, match="Only security groups can be nested"):
        actions.nest_group(security, actor=tenant_admin, child=teams)
    with pytest.raises(Invalid, match="Only security groups can be nested"):
        actions.nest_group(teams, actor=tenant_admin, child=security)


def test_only_owners_of_the_parent_may_nest_into_it(tenant, tenant_admin, owner, member):
    parent = GroupFactory(created_by=owner, display_name="Parent")
    child = GroupFactory(created_by=member, display_name="Child")
    from tenants.errors import NotAllowed

    with pytest.raises(NotAllowed):
        actions.nest_group(parent, actor=member, child=child)
    actions.nest_group(parent, actor=owner, child=child)


def test_application_loops_are_refused(tenant_admin):
    a, b, c = (_app(tenant_admin, n) for n in ("Alpha", "Beta", "Gamma"))
    app_actions.assign(b, actor=tenant_admin, granting_application=a)  # Alpha's people get Beta
    app_actions.assign(c, actor=tenant_admin, granting_application=b)
    with pytest.raises(Conflict) as refused:
        app_actions.assign(a, actor=tenant_admin, granting_application=c)
    assert "“Gamma” → “Alpha” → “Beta” → “Gamma”" in refused.value.message
    with pytest.raises(Conflict, match="can't grant access to itself"):
        app_actions.assign(a, actor=tenant_admin, granting_application=a)


def test_a_block_wins_over_every_grant_and_unblocking_restores(tenant_admin, member):
    expenses, travel = _app(tenant_admin, "Expenses"), _app(tenant_admin, "Travel")
    group = _group(tenant_admin, "Expenses users")
    actions.add_members(group, actor=tenant_admin, people=[member])
    app_actions.assign(expenses, actor=tenant_admin, group=group)
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    app_actions.assign(travel, actor=tenant_admin, granting_application=expenses)
    app_actions.block(expenses, actor=tenant_admin, person=member, reason="Left the team")
    assert not _has(member, expenses)
    assert Access.objects.get(user=member, application=expenses).blocked  # listed as blocked
    assert not _has(member, travel)  # a blocked application passes nothing on
    app_actions.unblock(expenses, actor=tenant_admin, person=member)
    assert _has(member, expenses) and _has(member, travel)


def test_a_deactivated_person_has_no_access(tenant_admin, member):
    expenses = _app(tenant_admin, "Expenses")
    app_actions.assign(expenses, actor=tenant_admin, user=member)
    member = update_user(member, actor=tenant_admin, is_active=False)
    assert not Access.objects.filter(user=member).exists()
    update_user(member, actor=tenant_admin, is_active=True)
    assert _has(member, expenses)


def test_nothing_crosses_tenants(tenant_admin, member, other_tenant_user):
    expenses = _app(tenant_admin, "Expenses")
    foreign_admin = UserFactory(tenant=other_tenant_user.tenant, role="global_admin")
    with pytest.raises(NotFound):
        app_actions.assign(expenses, actor=foreign_admin, user=other_tenant_user)
    with pytest.raises(Invalid, match="of your organisation"):
        app_actions.assign(expenses, actor=tenant_admin, user=other_tenant_user)
    foreign_group = GroupFactory(created_by=foreign_admin, source="admin_center")
    with pytest.raises(Invalid, match="of your organisation"):
        app_actions.assign(expenses, actor=tenant_admin, group=foreign_group)


def test_exactly_one_event_per_person_and_application_whose_access_changed(
    tenant, tenant_admin, member, outsider
):
    expenses, travel = _app(tenant_admin, "Expenses"), _app(tenant_admin, "Travel")
    users, finance = _group(tenant_admin, "Expenses users"), _group(tenant_admin, "Finance")
    app_actions.assign(expenses, actor=tenant_admin, group=users)
    app_actions.assign(travel, actor=tenant_admin, group=users)
    app_actions.assign(expenses, actor=tenant_admin, group=finance)
    OutboxEvent.objects.filter(kind__startswith="access.").delete()

    actions.add_members(users, actor=tenant_admin, people=[member, outsider])
    assert _access_events("access.granted") == sorted(
        (p.pk, a.pk) for p in (member, outsider) for a in (expenses, travel)
    )
    actions.add_members(finance, actor=tenant_admin, people=[member])  # Expenses again: no change
    assert len(_access_events("access.granted")) == 4
    actions.remove_member(users, actor=tenant_admin, person=member)  # keeps Expenses via Finance
    assert _access_events("access.revoked") == [(member.pk, travel.pk)]
    actions.delete_group(finance, actor=tenant_admin)
    assert sorted(_access_events("access.revoked")) == sorted(
        [(member.pk, travel.pk), (member.pk, expenses.pk)]
    )


def test_every_kind_of_change_keeps_access_current(tenant, tenant_admin, owner, requester):
    """Joins, approvals, leaves, deletions of applications: Access follows each."""
    site = _app(tenant_admin, "Team site", ApplicationKind.SITE)
    club = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OPEN)
    approval = GroupFactory(created_by=owner, membership_policy=MembershipPolicy.OWNER_APPROVAL)
    for group in (club, approval):
        app_actions.assign(site, actor=tenant_admin, group=group)
    actions.request_to_join(club, actor=requester)
    assert _has(requester, site)
    actions.leave_group(club, actor=requester)
    assert not _has(requester, site)
    request_ = actions.request_to_join(approval, actor=requester, justification="please")
    assert not _has(requester, site)
    actions.approve_request(request_, actor=owner)
    assert _has(requester, site)
    app_actions.delete_application(site, actor=tenant_admin)
    assert not Access.objects.filter(user=requester).exists()
    assert (requester.pk, site.pk) in _access_events("access.revoked")


def test_moving_direct_access_into_a_group_loses_nobody(tenant, tenant_admin, member, outsider):
    expenses = _app(tenant_admin, "Expenses")
    users = _group(tenant_admin, "Expenses users")
    for person in (member, outsider):
        app_actions.assign(expenses, actor=tenant_admin, user=person)
    OutboxEvent.objects.filter(kind__startswith="access.").delete()
    result = app_actions.move_direct_access(
        expenses, actor=tenant_admin, group=users, remove_direct=True
    )
    assert result.group_assigned and result.direct_removed == 2
    assert {p.pk for p in result.added.added} == {member.pk, outsider.pk}
    assert _has(member, expenses) and _has(outsider, expenses)
    assert _access_events("access.revoked") == [] and _access_events("access.granted") == []
    assert _paths(expenses, member) == ["group “Expenses users”"]


def test_adding_5000_people_to_a_group_that_grants_access_costs_bounded_queries(
    tenant, tenant_admin
):
    """Every (person, application) gets its event, in the same dozen-odd queries for 5,000
    people as for 10 (SQLite splits big inserts, so it gets a smaller crowd)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenants.models import User

    size = 5000 if connection.vendor == "postgresql" else 40
    expenses, travel = _app(tenant_admin, "Expenses"), _app(tenant_admin, "Travel")
    counts = []
    for label, count in (("few", 10), ("many", size)):
        group = _group(tenant_admin, f"Crowd {label}")
        for application in (expenses, travel):
            app_actions.assign(application, actor=tenant_admin, group=group)
        people = User.objects.bulk_create(
            User(tenant=tenant, email=f"{label}{n}@crowd.test", display_name=f"{label} {n}")
            for n in range(count)
        )
        with CaptureQueriesContext(connection) as queries:
            actions.add_members(group, actor=tenant_admin, people=people)
        counts.append(len(queries))
        granted = OutboxEvent.objects.filter(
            kind="access.granted", payload__user_id__in=[p.pk for p in people]
        )
        assert granted.count() == 2 * count
    assert counts[0] == counts[1] <= 21, counts  # 21: the group's member count is one UPDATE
