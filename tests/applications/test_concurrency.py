"""Races: two changes about one person recompute their access one after the other, so the
Access table never keeps a grant that no path supports (PostgreSQL row locks)."""

import pytest

from applications import actions as app_actions
from applications.models import Access
from groups import actions
from groups.models import MembershipPolicy
from tests.factories import GroupFactory, UserFactory
from tests.groups.test_concurrency import _deadlocks, _race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_leaving_two_granting_groups_at_once_leaves_no_stale_access(on_postgres, tenant):
    admin = UserFactory(tenant=tenant, role="global_admin")
    expenses = app_actions.create_application(actor=admin, name="Expenses", kind="saas_app")
    for round_number in range(5):
        person = UserFactory(tenant=tenant)
        groups = [
            GroupFactory(
                created_by=admin,
                display_name=f"Path {round_number}-{n}",
                membership_policy=MembershipPolicy.OPEN,
            )
            for n in range(2)
        ]
        for group in groups:
            app_actions.assign(expenses, actor=admin, group=group)
            actions.request_to_join(group, actor=person)
        assert Access.objects.filter(user=person, application=expenses).exists()
        outcomes = _race(
            [lambda g=group, p=person: actions.leave_group(g, actor=p) for group in groups]
        )
        assert _deadlocks(outcomes) == [] and all(o is None for o in outcomes), outcomes
        assert not Access.objects.filter(user=person, application=expenses).exists()
