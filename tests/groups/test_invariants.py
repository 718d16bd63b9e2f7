"""Random sequences of actions by random people; invariants are checked after every step."""

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from groups import actions
from groups.models import Group, JoinRequest, Membership, MembershipPolicy, Ownership
from tenants.actions import update_general_settings
from tenants.errors import Refusal
from tenants.models import AuditEvent
from tests.factories import OPERATOR, GroupFactory, TenantFactory, UserFactory

_tenant_numbers = itertools.count(1)
PEOPLE = 5  # index 0 is a global admin, 4 is unlicensed
GROUPS = 3  # open, owner approval, closed


class GroupLife(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        tenant = TenantFactory(name=f"Hypothesis {next(_tenant_numbers)}")
        update_general_settings(tenant, actor=OPERATOR, owners_can_manage_requests=True)
        self.tenant = tenant
        self.people = [
            UserFactory(
                tenant=tenant,
                role="global_admin" if i == 0 else "member",
                has_premium_license=i != 4,
            )
            for i in range(PEOPLE)
        ]
        self.other = UserFactory(tenant=TenantFactory(name=f"Elsewhere {next(_tenant_numbers)}"))
        policies = [MembershipPolicy.OPEN, MembershipPolicy.OWNER_APPROVAL, MembershipPolicy.CLOSED]
        self.groups = [
            GroupFactory(created_by=self.people[1 + i], membership_policy=policy)
            for i, policy in enumerate(policies)
        ]

    def _snapshot(self):
        tenant_groups = Group.objects.filter(tenant=self.tenant)
        return (
            Membership.objects.filter(group__in=tenant_groups).count(),
            Ownership.objects.filter(group__in=tenant_groups).count(),
            list(
                JoinRequest.objects.filter(group__in=tenant_groups)
                .values_list("id", "status")
                .order_by("id")
            ),
            AuditEvent.objects.filter(tenant=self.tenant).count(),
        )

    def _attempt(self, call, *, changes_expected=1):
        before = self._snapshot()
        try:
            result = call()
        except Refusal:
            assert self._snapshot() == before, "a refused action wrote something"
            return None
        audit_before, audit_after = before[3], self._snapshot()[3]
        expected = changes_expected(result) if callable(changes_expected) else changes_expected
        assert audit_after - audit_before == expected, "one audit event per successful change"
        return result

    def _person(self, index):
        return self.other if index == PEOPLE else self.people[index]

    people_ix = st.integers(0, PEOPLE)  # PEOPLE means the other tenant's user
    group_ix = st.integers(0, GROUPS - 1)

    @rule(who=people_ix, which=group_ix, justification=st.sampled_from(["", "please", "  "]))
    def request_to_join(self, who, which, justification):
        self._attempt(
            lambda: actions.request_to_join(
                self.groups[which], actor=self._person(who), justification=justification
            )
        )

    def _pending(self, which, requester):
        return JoinRequest.objects.filter(
            group=self.groups[which], requester=requester, status="pending"
        ).first()

    @rule(decider=people_ix, requester=people_ix, which=group_ix, approve=st.booleans())
    def decide(self, decider, requester, which, approve):
        join_request = self._pending(which, self._person(requester))
        if join_request is not None:
            decide = actions.approve_request if approve else actions.deny_request
            self._attempt(lambda: decide(join_request, actor=self._person(decider)))

    @rule(who=people_ix, requester=people_ix, which=group_ix)
    def cancel(self, who, requester, which):
        join_request = self._pending(which, self._person(requester))
        if join_request is not None:
            self._attempt(lambda: actions.cancel_request(join_request, actor=self._person(who)))

    @rule(who=people_ix, which=group_ix)
    def leave(self, who, which):
        self._attempt(lambda: actions.leave_group(self.groups[which], actor=self._person(who)))

    @rule(actor=people_ix, added=st.lists(people_ix, max_size=3), which=group_ix)
    def add_members(self, actor, added, which):
        self._attempt(
            lambda: actions.add_members(
                self.groups[which],
                actor=self._person(actor),
                people=[self._person(i) for i in added],
            ),
            changes_expected=lambda result: len(result.added),
        )

    @rule(actor=people_ix, removed=people_ix, which=group_ix)
    def remove_member(self, actor, removed, which):
        self._attempt(
            lambda: actions.remove_member(
                self.groups[which], actor=self._person(actor), person=self._person(removed)
            )
        )

    @rule(actor=people_ix, person=people_ix, which=group_ix, add=st.booleans())
    def change_owners(self, actor, person, which, add):
        change = actions.add_owner if add else actions.remove_owner
        self._attempt(
            lambda: change(
                self.groups[which], actor=self._person(actor), person=self._person(person)
            )
        )

    @invariant()
    def self_service_joins_only_where_the_policy_allows(self):
        for membership in Membership.objects.filter(group__tenant=self.tenant).select_related(
            "group", "added_by"
        ):
            group = membership.group
            if membership.added_via == Membership.Via.JOIN:
                assert group.membership_policy == MembershipPolicy.OPEN
            elif membership.added_via == Membership.Via.REQUEST:
                assert JoinRequest.objects.filter(
                    group=group, requester=membership.user_id, status="approved"
                ).exists()
            else:  # added by an owner or a global admin
                assert membership.added_via in (Membership.Via.OWNER, Membership.Via.ADMIN)
                adder = membership.added_by
                assert adder.is_global_admin or adder.tenant_id == group.tenant_id

    @invariant()
    def never_two_pending_requests(self):
        pending = JoinRequest.objects.filter(group__tenant=self.tenant, status="pending")
        pairs = list(pending.values_list("group_id", "requester_id"))
        assert len(pairs) == len(set(pairs))

    @invariant()
    def no_row_references_another_tenant(self):
        tid = self.tenant.pk
        for model in (Membership, Ownership):
            assert (
                not model.objects.filter(group__tenant_id=tid).exclude(user__tenant_id=tid).exists()
            )
        assert (
            not JoinRequest.objects.filter(group__tenant_id=tid)
            .exclude(requester__tenant_id=tid)
            .exists()
        )
        assert not Membership.objects.filter(user=self.other).exists()

    @invariant()
    def closed_and_approval_groups_have_no_self_joined_members(self):
        non_open = [g for g in self.groups if g.membership_policy != MembershipPolicy.OPEN]
        assert not Membership.objects.filter(
            group__in=non_open, added_via=Membership.Via.JOIN
        ).exists()


@pytest.mark.django_db
def test_random_action_sequences_keep_the_invariants():
    run_state_machine_as_test(
        GroupLife,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
