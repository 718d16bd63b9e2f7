"""Each action: the new state, exactly one audit event per change, and a refusal writes nothing."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from groups import actions
from groups.models import Group, JoinRequest, Membership, Ownership
from tenants.errors import Conflict, Invalid, NotAllowed, NotFound, Refusal
from tenants.models import AuditEvent, OutboxEvent
from tests.conftest import set_settings
from tests.factories import UserFactory


def _rows() -> tuple[int, ...]:
    return (
        Group.objects.count(),
        Membership.objects.count(),
        Ownership.objects.count(),
        JoinRequest.objects.count(),
        AuditEvent.objects.count(),
        OutboxEvent.objects.count(),
        *JoinRequest.objects.filter(status="pending").values_list("id", flat=True),
    )


@contextmanager
def writes_nothing(error=Refusal, match: str | None = None):
    """The call inside is refused and leaves every table (audit log and outbox too) as it was."""
    before = _rows()
    with pytest.raises(error, match=match):
        yield
    assert _rows() == before


@contextmanager
def one_audit_event(action: str):
    """Exactly one audit row and exactly one outbox event, of this kind."""
    audit_before, events_before = AuditEvent.objects.count(), OutboxEvent.objects.count()
    yield
    assert AuditEvent.objects.count() == audit_before + 1
    assert AuditEvent.objects.latest("id").action == action
    assert OutboxEvent.objects.count() == events_before + 1
    assert OutboxEvent.objects.latest("id").kind == action


def last_event() -> OutboxEvent:
    return OutboxEvent.objects.latest("id")


@pytest.mark.django_db
def test_create_group(owner):
    with one_audit_event("group.created"):
        group = actions.create_group(
            actor=owner,
            display_name=" Lunch ",
            group_type="microsoft365",
            source="access_panel",
        )
    assert group.display_name == "Lunch"
    assert group.created_by == owner
    assert last_event().payload["group_id"] == group.pk
    assert last_event().payload["owner_ids"] == [owner.pk]
    assert last_event().aggregate == f"group:{group.pk}"


@pytest.mark.django_db
def test_create_group_refused_writes_nothing(tenant, unlicensed_user):
    set_settings(tenant, users_can_create_security_groups=False)
    with writes_nothing(NotAllowed, match="Users can create security groups"):
        actions.create_group(
            actor=unlicensed_user,
            display_name="x",
            group_type="security",
            source="access_panel",
        )


@pytest.mark.django_db
def test_update_group(open_group, owner):
    with one_audit_event("group.updated"):
        actions.update_group(
            open_group, actor=owner, display_name="Lunch crew", description="Fridays"
        )
    open_group.refresh_from_db()
    assert (open_group.display_name, open_group.description) == ("Lunch crew", "Fridays")
    event = AuditEvent.objects.latest("id")
    assert event.data["display_name"] == {"old": "Lunch club", "new": "Lunch crew"}


@pytest.mark.django_db
def test_update_group_refused_for_a_member(open_group, member):
    with writes_nothing(NotAllowed, match="Only the group's owners"):
        actions.update_group(open_group, actor=member, display_name="Mine now")


@pytest.mark.django_db
def test_delete_group(open_group, owner):
    with one_audit_event("group.deleted"):
        actions.delete_group(open_group, actor=owner)
    assert not Group.objects.filter(pk=open_group.pk).exists()


@pytest.mark.django_db
def test_delete_group_refused_for_outsider(open_group, outsider):
    with writes_nothing(NotAllowed):
        actions.delete_group(open_group, actor=outsider)


@pytest.mark.django_db
def test_joining_an_open_group_is_immediate(open_group, outsider):
    with one_audit_event("group.joined"):
        join_request = actions.request_to_join(open_group, actor=outsider)
    assert join_request.status == "approved"
    assert Membership.objects.get(group=open_group, user=outsider).added_via == "join"
    payload = last_event().payload
    assert (payload["group_id"], payload["user_id"]) == (open_group.pk, outsider.pk)


@pytest.mark.django_db
def test_requesting_to_join_an_owner_approval_group_waits(group, outsider):
    with one_audit_event("request.created"):
        join_request = actions.request_to_join(group, actor=outsider, justification="Need the site")
    assert join_request.status == "pending"
    assert not Membership.objects.filter(group=group, user=outsider).exists()


@pytest.mark.django_db
def test_justification_is_required_for_owner_approval(group, outsider):
    with writes_nothing(Invalid, match="Business justification is required"):
        actions.request_to_join(group, actor=outsider, justification="  ")


@pytest.mark.django_db
def test_closed_group_refuses_requests(closed_group, outsider):
    with writes_nothing(NotAllowed, match="Not available to join"):
        actions.request_to_join(closed_group, actor=outsider, justification="please")


@pytest.mark.django_db
def test_second_pending_request_is_refused(group, requester):
    with writes_nothing(Conflict, match="already asked"):
        actions.request_to_join(group, actor=requester, justification="again")


@pytest.mark.django_db
def test_members_cant_request_again(open_group, member, owner):
    actions.add_members(open_group, actor=owner, people=[member])
    with writes_nothing(Conflict, match="already a member"):
        actions.request_to_join(open_group, actor=member)


@pytest.mark.django_db
def test_cancel_request(group, requester):
    join_request = JoinRequest.objects.get(requester=requester)
    with one_audit_event("request.cancelled"):
        actions.cancel_request(join_request, actor=requester)
    join_request.refresh_from_db()
    assert join_request.status == "cancelled"


@pytest.mark.django_db
def test_only_the_requester_cancels(group, requester, owner):
    join_request = JoinRequest.objects.get(requester=requester)
    with writes_nothing(NotAllowed, match="Only the person who asked"):
        actions.cancel_request(join_request, actor=owner)


@pytest.mark.django_db
def test_approve_request(group, requester, owner):
    join_request = JoinRequest.objects.get(requester=requester)
    with one_audit_event("request.approved"):
        actions.approve_request(join_request, actor=owner, reason="Welcome")
    join_request.refresh_from_db()
    assert (join_request.status, join_request.decided_by, join_request.decision_reason) == (
        "approved",
        owner,
        "Welcome",
    )
    assert join_request.decided_at is not None
    assert Membership.objects.get(group=group, user=requester).added_via == "request"
    payload = last_event().payload
    assert (payload["user_id"], payload["request_id"]) == (requester.pk, join_request.pk)
    assert payload["membership_added"] is True


@pytest.mark.django_db
def test_deny_request_with_optional_reason(group, requester, owner):
    join_request = JoinRequest.objects.get(requester=requester)
    with one_audit_event("request.denied"):
        actions.deny_request(join_request, actor=owner)
    join_request.refresh_from_db()
    assert join_request.status == "denied"
    assert not Membership.objects.filter(group=group, user=requester).exists()


@pytest.mark.django_db
def test_a_decided_request_cant_be_decided_again(group, requester, owner):
    join_request = JoinRequest.objects.get(requester=requester)
    actions.deny_request(join_request, actor=owner)
    with writes_nothing(Conflict, match="already denied"):
        actions.approve_request(join_request, actor=owner)


@pytest.mark.django_db
def test_member_cant_approve(group, requester, member):
    join_request = JoinRequest.objects.get(requester=requester)
    with writes_nothing(NotAllowed):
        actions.approve_request(join_request, actor=member)


@pytest.mark.django_db
def test_no_approvals_by_owners_when_the_setting_is_no(
    tenant, group, requester, owner, tenant_admin
):
    set_settings(tenant, owners_can_manage_requests=False)
    join_request = JoinRequest.objects.get(requester=requester)
    with writes_nothing(NotAllowed, match="General setting"):
        actions.approve_request(join_request, actor=owner)
    actions.approve_request(join_request, actor=tenant_admin)  # admins are never limited


@pytest.mark.django_db
def test_leave_group(group, member):
    with one_audit_event("group.left"):
        actions.leave_group(group, actor=member)
    assert not Membership.objects.filter(group=group, user=member).exists()


@pytest.mark.django_db
def test_leave_refused_for_non_member(group, outsider):
    with writes_nothing(NotAllowed, match="not a member"):
        actions.leave_group(group, actor=outsider)


@pytest.mark.django_db
def test_add_members_reports_added_present_and_refused(
    group, owner, member, requester, outsider, other_tenant_user
):
    before = AuditEvent.objects.count()
    result = actions.add_members(
        group, actor=owner, people=[member, requester, outsider, other_tenant_user]
    )
    assert result.already_members == [member]
    assert set(result.added) == {requester, outsider}
    assert [p for p, _ in result.refused] == [other_tenant_user]
    assert AuditEvent.objects.count() == before + 2  # one per member added
    # The requester's pending request is resolved by the add.
    assert JoinRequest.objects.get(requester=requester).status == "approved"
    # Idempotent: again, nothing changes.
    again = actions.add_members(group, actor=owner, people=[requester, outsider])
    assert again.added == [] and len(again.already_members) == 2
    assert AuditEvent.objects.count() == before + 2


@pytest.mark.django_db
def test_add_members_refused_for_non_owner(group, member, outsider):
    with writes_nothing(NotAllowed):
        actions.add_members(group, actor=member, people=[outsider])


@pytest.mark.django_db
def test_remove_member(group, owner, member):
    with one_audit_event("member.removed"):
        actions.remove_member(group, actor=owner, person=member)
    assert not Membership.objects.filter(group=group, user=member).exists()


@pytest.mark.django_db
def test_remove_member_who_isnt_one(group, owner, outsider):
    with writes_nothing(Conflict, match="isn't a member"):
        actions.remove_member(group, actor=owner, person=outsider)


@pytest.mark.django_db
def test_add_owner(group, owner, member):
    with one_audit_event("owner.added"):
        actions.add_owner(group, actor=owner, person=member)
    assert Ownership.objects.filter(group=group, user=member).exists()


@pytest.mark.django_db
def test_add_owner_from_another_tenant_is_refused(group, owner, other_tenant_user):
    with writes_nothing(Invalid, match="aren't active users of your organisation"):
        actions.add_owner(group, actor=owner, person=other_tenant_user)


@pytest.mark.django_db
def test_remove_owner(group, owner, member):
    actions.add_owner(group, actor=owner, person=member)
    with one_audit_event("owner.removed"):
        actions.remove_owner(group, actor=owner, person=member)
    assert list(group.ownerships.values_list("user", flat=True)) == [owner.pk]


@pytest.mark.django_db
def test_owner_cant_remove_the_last_owner_but_an_admin_can(group, owner, tenant_admin):
    with writes_nothing(NotAllowed, match="last owner"):
        actions.remove_owner(group, actor=owner, person=owner)
    with one_audit_event("owner.removed"):
        actions.remove_owner(group, actor=tenant_admin, person=owner)
    assert not group.ownerships.exists()


@pytest.mark.django_db
def test_nothing_of_another_tenant_can_be_touched(group, other_tenant_user):
    foreign_admin = UserFactory(tenant=other_tenant_user.tenant, role="global_admin")
    join_request = JoinRequest.objects.get(group=group)
    for call in (
        lambda: actions.update_group(group, actor=foreign_admin, display_name="hijacked"),
        lambda: actions.add_members(group, actor=foreign_admin, people=[foreign_admin]),
        lambda: actions.approve_request(join_request, actor=foreign_admin),
        lambda: actions.request_to_join(group, actor=other_tenant_user, justification="hi"),
    ):
        with writes_nothing(NotFound, match="Not found in your organisation"):
            call()


@pytest.mark.django_db
def test_a_rolled_back_action_leaves_no_outbox_row(open_group, outsider):
    """The outbox row is written in the action's transaction: no change, no event."""
    events_before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.request_to_join(open_group, actor=outsider)
        assert OutboxEvent.objects.count() == events_before + 1  # written with the change…
        raise RuntimeError("roll back")
    assert OutboxEvent.objects.count() == events_before  # …and gone with it
    assert not Membership.objects.filter(group=open_group, user=outsider).exists()


# --- Look-alike names (review round 1, security 4) --------------------------------------------


def _create(owner, name: str) -> Group:
    return actions.create_group(
        actor=owner, display_name=name, group_type="security", source="access_panel"
    )


@pytest.mark.django_db
def test_a_look_alike_of_an_existing_group_name_is_refused_naming_the_existing_group(owner):
    from tests.tenants.test_text import LOOK_ALIKES

    _create(owner, "Expenses users")
    _create(owner, "\u00e9xpenses users")  # NFC
    for look_alike in [*LOOK_ALIKES.values(), "e\u0301xpenses users"]:  # … and NFD
        with pytest.raises(Conflict) as refused:
            _create(owner, look_alike)
        assert refused.value.field == "display_name"
    assert Group.objects.count() == 2
    with pytest.raises(Conflict, match="“Еxpenses users” looks the same as “Expenses users”"):
        _create(owner, "\u0415xpenses users")


@pytest.mark.django_db
def test_renaming_to_a_look_alike_is_refused_and_names_are_stored_clean(owner):
    finance = actions.create_group(
        actor=owner, display_name="Finance\u3000 team", group_type="security", source="access_panel"
    )
    assert finance.display_name == "Finance team"
    other = actions.create_group(
        actor=owner, display_name="Other", group_type="security", source="access_panel"
    )
    with pytest.raises(Conflict):
        actions.update_group(other, actor=owner, display_name="FINANCE\u00a0TEAM")
    with pytest.raises(Invalid, match="invisible"):
        actions.update_group(other, actor=owner, display_name="Finance\u202e team")
    renamed = actions.update_group(finance, actor=owner, display_name="FINANCE TEAM")
    assert (renamed.display_name, renamed.name_key) == ("FINANCE TEAM", "finance team")


@pytest.mark.django_db
def test_the_database_refuses_two_groups_with_one_key_in_a_tenant(owner, other_tenant_user):
    from django.db import IntegrityError, transaction

    group = actions.create_group(
        actor=owner, display_name="Expenses users", group_type="security", source="access_panel"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(
            tenant=group.tenant,
            display_name="\u0415xpenses users",
            name_key=group.name_key,
            group_type="security",
            source="access_panel",
            membership_policy="open",
        )
    elsewhere = actions.create_group(
        actor=other_tenant_user,
        display_name="Expenses users",
        group_type="security",
        source="access_panel",
    )
    assert elsewhere.name_key == group.name_key  # another tenant may use the same name


@pytest.mark.django_db
def test_the_migration_gives_existing_groups_their_keys_and_keeps_old_look_alikes(owner):
    import importlib

    from django.apps import apps

    first = actions.create_group(
        actor=owner, display_name="Expenses users", group_type="security", source="access_panel"
    )
    second = actions.create_group(
        actor=owner, display_name="Travel", group_type="security", source="access_panel"
    )
    # As if "Еxpenses users" (Cyrillic Е) had been created before the rule existed.
    Group.objects.filter(pk=second.pk).update(display_name="\u0415xpenses users", name_key="-")
    Group.objects.filter(pk=first.pk).update(name_key="")
    migration = importlib.import_module("groups.migrations.0006_look_alike_names_share_a_key")
    migration.fill_name_keys(apps, None)
    keys = dict(Group.objects.values_list("pk", "name_key"))
    assert keys == {first.pk: "expenses users", second.pk: f"expenses users#{second.pk}"}
