"""The only answer to "may this actor do that to this group or request?".

Every rule of docs/domain.md, docs/settings.md and docs/visibility.md is a `Rule`: a condition
on the group row (a `Condition`: its columns and whether the viewer owns it or is in it), a
condition on the request row as a `Q`, or a fact about the actor alone as a bool, with the
human reason shown when it fails. `groups_for()`/`requests_for()` (querysets) read a
condition as SQL; `can()` reads a group's conditions in Python from the row and the viewer's
two facts that `Decider.annotate()` fetches with it (lists), so a page's query carries two
`EXISTS` instead of one `CASE` per decision. Both readings come from the same rules, and
tests/groups/test_policy.py holds them to the same answers; `who_may()` answers the inverse
question (which people may do it) and a test holds it to `can()`. The tenant boundary is the
first rule of every action; an unknown action is refused.

Actors (tenants/actors.py): a person and their API tokens act with the person's rights; a SCIM
client and the system act in their tenant as a global admin would, but never join or leave.
"""

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce
from typing import Any

from django.db.models import Case, Exists, IntegerField, Model, OuterRef, Q, QuerySet, Value, When

from groups.models import (
    NESTABLE_TYPES,
    SELF_SERVICE_TYPES,
    Group,
    GroupSource,
    GroupType,
    JoinRequest,
    Membership,
    MembershipPolicy,
    Ownership,
)
from tenants.actors import Actor, as_actor
from tenants.errors import NotAllowed, NotFound, Refusal
from tenants.models import GeneralSettings, User

MAX_OWNERS_PER_GROUP = 100
MAX_GROUPS_CREATED_PER_USER = 250

SETTING_REQUESTS = "Owners can manage group membership requests in the Access Panel"
SETTING_RESTRICT = "Restrict access to Groups in the Access Panel"
SETTING_CREATE = {
    GroupType.SECURITY: "Users can create security groups",
    GroupType.MICROSOFT365: "Users can create Microsoft 365 groups",
}
SETTING_OWNER_ASSIGNERS = "Owners who can assign members as group owners"


class Reason:
    """Refusal texts: each names the setting, license, type, policy or limit that refused."""

    SIGNED_OUT = "Sign in to use groups."
    NO_TENANT = "Your account belongs to no organisation, so it has no groups."
    NOT_FOUND = "Not found in your organisation."  # another tenant's object looks absent
    NOT_SELF_SERVICE = "Self-service isn't available for this group type."
    CLOSED_HEADLINE = "Not available to join"
    CLOSED = (
        "Not available to join: only the group's owners can add members. "
        "Ask an owner if you need to be in it."
    )
    PERSON_ONLY = "Only a person can join or leave a group."
    JOIN_LICENSE = "Requesting to join a group needs a Premium license, and you don't have one."
    JOIN_OPEN_LICENSE = "Joining a group needs a Premium license, and you don't have one."
    WAITING_FOR_OWNERS = "An owner of the group will approve or deny it."
    WAITING_FOR_ADMINS = (
        "A global admin will approve or deny it: owners don't manage requests in your organisation."
    )
    REQUESTS_OFF = (
        f'This group accepts no new requests: the General setting "{SETTING_REQUESTS}" is No.'
    )
    NOT_MEMBER = "You're not a member of this group."
    NOT_OWNER = "Only the group's owners can do this."
    MEMBERS_HIDDEN = "Only the group's owners, its members and global admins can see its members."
    OWNER_ASSIGN_SELECTED = (
        "Only selected users can make someone a group owner "
        f'(General setting "{SETTING_OWNER_ASSIGNERS}" is Selected).'
    )
    REQUESTS_NOT_MANAGED = (
        "Owners can't manage membership requests in the Access Panel: "
        f'the General setting "{SETTING_REQUESTS}" is No. Global admins decide requests.'
    )
    DECIDE_LICENSE = (
        "Approving or denying requests needs a Premium license, and you don't have one. "
        "Ask a global admin for a license, or another owner to decide."
    )
    OWN_REQUEST = "You can't decide your own request."
    NOT_REQUESTER = "Only the person who asked (or a global admin) can cancel a request."
    ADMIN_ONLY = "Only global admins can do this."
    CREATE_OWNER_APPROVAL_LICENSE = (
        "Creating a group that requires owner approval needs a Premium license, "
        "and you don't have one."
    )
    CREATE_LIMIT = (
        f"You have reached the limit of {MAX_GROUPS_CREATED_PER_USER} groups created per user."
    )
    OWNER_LIMIT = f"A group can have at most {MAX_OWNERS_PER_GROUP} owners."
    LAST_OWNER = "You can't remove the last owner of a self-service group: add another owner first."
    RESTRICTED = (
        "Your administrator has turned off groups in the Access Panel "
        f'(General setting "{SETTING_RESTRICT}" is Yes).'
    )
    RENEW_OFF = "Members of this group can't renew their own membership: ask an owner to renew it."

    @staticmethod
    def edit_off(group_type: str) -> str:
        label = GroupType(group_type).label
        return (
            f"Owners can't change {label} groups' name, description or policy: "
            f'the General setting "{SETTING_CREATE[group_type]}" is No. '
            "You can still manage members and requests."
        )

    @staticmethod
    def create_off(group_type: str) -> str:
        label = GroupType(group_type).label
        return (
            f"You can't create {label} groups: "
            f'the General setting "{SETTING_CREATE[group_type]}" is No.'
        )

    @staticmethod
    def unknown_action(action: str) -> str:
        return f"Unknown action {action!r}: refused."


class Action(StrEnum):
    # On a group
    VIEW = "view"
    VIEW_MEMBERS = "view_members"
    JOIN = "join"
    LEAVE = "leave"
    EDIT = "edit"
    DELETE = "delete"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_OWNERS = "manage_owners"
    VIEW_REQUESTS = "view_requests"
    DECIDE_REQUESTS = "decide_requests"
    RENEW_OWN = "renew_own"  # renew my own time-bound membership (docs/lifecycle.md)
    # On a join request
    VIEW_REQUEST = "view_request"
    CANCEL_REQUEST = "cancel_request"
    DECIDE_REQUEST = "decide_request"


GROUP_ACTIONS = frozenset(Action) - {
    Action.VIEW_REQUEST,
    Action.CANCEL_REQUEST,
    Action.DECIDE_REQUEST,
}


@dataclass(frozen=True)
class Decision:
    """Truthy when allowed; a refusal carries the reason a person can read."""

    allowed: bool
    reason: str = ""
    field: str | None = None  # the form field a refusal is about, when there is one
    headline: str = ""  # a short label for a table cell, when the reason is long
    not_found: bool = False  # refused because it isn't there for this actor (another tenant)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def label(self) -> str:
        return self.headline or self.reason

    def refusal(self) -> Refusal:
        """The refusal to raise: NotFound for another tenant's object, else NotAllowed."""
        if self.not_found:
            return NotFound(self.reason)
        return NotAllowed(self.reason, field=self.field)

    def require(self) -> None:
        """Raise this decision's refusal unless it allows."""
        if not self.allowed:
            raise self.refusal()


ALLOWED = Decision(True)


class Unknown(Exception):
    """A row lacks what a condition reads (a deferred column, a fact not fetched)."""


class Condition:
    """A condition on a group row, read as SQL (`q()`) or in Python (`holds(row)`) from a row
    fetched by `Decider.annotate()`. Combine with `|` and `~`, like `Q` (a rule list is already
    an "and")."""

    def q(self) -> Q:
        raise NotImplementedError

    def holds(self, row: Group) -> bool:
        raise NotImplementedError

    def __or__(self, other: "Condition") -> "Condition":
        return _Any((self, other))

    def __invert__(self) -> "Condition":
        return _Not(self)


def _loaded(row: Model, attribute: str) -> Any:
    """The row's value, never a query: a deferred column or a missing fact is Unknown."""
    try:
        return row.__dict__[attribute]
    except KeyError:
        raise Unknown(attribute) from None


@dataclass(frozen=True)
class Column(Condition):
    """The group's column is one of `values`."""

    name: str
    values: tuple

    def q(self) -> Q:
        if len(self.values) == 1:
            return Q(**{self.name: self.values[0]})
        return Q(**{f"{self.name}__in": self.values})

    def holds(self, row: Group) -> bool:
        return _loaded(row, self.name) in self.values


def column(name: str, *values) -> Column:
    return Column(name, tuple(values))


@dataclass(frozen=True)
class Fact(Condition):
    """The viewer owns the group, or is a member of it: an `EXISTS` per row, fetched once by
    `Decider.annotate()` as the `attribute` column whatever the number of rules reading it."""

    attribute: str
    model: type[Model]
    user_id: int

    def exists(self) -> Exists:
        return Exists(self.model.objects.filter(group=OuterRef("pk"), user_id=self.user_id))

    def q(self) -> Q:
        return Q(self.exists())

    def holds(self, row: Group) -> bool:
        return bool(_loaded(row, self.attribute))


@dataclass(frozen=True)
class _Any(Condition):
    parts: tuple[Condition, ...]

    def q(self) -> Q:
        return reduce(operator.or_, (part.q() for part in self.parts))

    def holds(self, row: Group) -> bool:
        return any(part.holds(row) for part in self.parts)


@dataclass(frozen=True)
class _Not(Condition):
    part: Condition

    def q(self) -> Q:
        return ~self.part.q()

    def holds(self, row: Group) -> bool:
        return not self.part.holds(row)


def as_q(condition: "Condition | Q") -> Q:
    return condition.q() if isinstance(condition, Condition) else condition


@dataclass(frozen=True)
class Rule:
    condition: Condition | Q | bool  # Q: over join requests or applications (SQL only)
    reason: str
    headline: str = ""
    not_found: bool = False  # the tenant boundary: failing it means "there is no such thing"


def general_settings(tenant_id: int) -> GeneralSettings:
    """The tenant's settings, read fresh so a change applies on the very next request."""
    return GeneralSettings.objects.get(tenant_id=tenant_id)


def _actor_refusal(actor: Actor) -> str | None:
    """Why this actor may do nothing at all (a signed-out or inactive person), if so."""
    user = actor.user
    if user is None:
        return None if actor.kind != "person" else Reason.SIGNED_OUT
    if not user.is_authenticated or not user.is_active:
        return Reason.SIGNED_OUT
    if user.tenant_id is None:
        return Reason.NO_TENANT
    return None


def _is_owner(user: User) -> Fact:
    return Fact("viewer_is_owner", Ownership, user.pk)


def _is_member(user: User) -> Fact:
    return Fact("viewer_is_member", Membership, user.pk)


VIEWER = "_policy_viewer"  # whose facts a row carries (0: none, an actor that isn't a person)
GROUP_RULE_COLUMNS = ("tenant_id", "group_type", "membership_policy", "members_can_renew")


def viewer_facts(user: User | None) -> dict:
    """The annotations that carry a person's facts about each group (`viewer_is_owner`,
    `viewer_is_member`) and whose they are: always all three together, so a later annotation
    for someone else (groups/selectors.py, `with_viewer_status`) replaces them all and
    `Decider.can()` then asks the database instead of reading another person's facts."""
    if user is None:
        return {VIEWER: Value(0)}
    facts = (_is_owner(user), _is_member(user))
    return {VIEWER: Value(user.pk), **{fact.attribute: fact.exists() for fact in facts}}


def _tenant_rule(actor: Actor) -> Rule:
    if actor.tenant_id is None:  # the operator's jobs and commands: every tenant
        return Rule(True, Reason.NOT_FOUND, not_found=True)
    return Rule(column("tenant_id", actor.tenant_id), Reason.NOT_FOUND, not_found=True)


def _group_rules(actor: Actor, action: str, settings: GeneralSettings | None) -> list[Rule]:
    """The rules of one action on groups, in the order their reasons should be reported.

    `settings` is None only for an actor that administers the tenant (they don't apply).
    """
    admin = actor.administers_tenant
    user = actor.user
    rules = [_tenant_rule(actor)]
    self_service = Rule(column("group_type", *SELF_SERVICE_TYPES), Reason.NOT_SELF_SERVICE)
    owner = Rule(_is_owner(user), Reason.NOT_OWNER) if user is not None else None
    match action:
        case Action.VIEW:
            pass
        case Action.VIEW_MEMBERS:
            if not admin:
                rules.append(Rule(_is_owner(user) | _is_member(user), Reason.MEMBERS_HIDDEN))
        case Action.JOIN:
            if user is None:
                return [*rules, Rule(False, Reason.PERSON_ONLY)]
            rules += [
                self_service,
                Rule(
                    ~column("membership_policy", MembershipPolicy.CLOSED),
                    Reason.CLOSED,
                    headline=Reason.CLOSED_HEADLINE,
                ),
            ]
            if not admin and not user.has_premium_license:
                # Joining an open group is a join, not a request: the reason says which.
                open_group = column("membership_policy", MembershipPolicy.OPEN)
                rules += [
                    Rule(~open_group, Reason.JOIN_OPEN_LICENSE),
                    Rule(open_group, Reason.JOIN_LICENSE),
                ]
            if not admin and not settings.owners_can_manage_requests:
                rules.append(
                    Rule(column("membership_policy", MembershipPolicy.OPEN), Reason.REQUESTS_OFF)
                )
        case Action.LEAVE:
            if user is None:
                return [*rules, Rule(False, Reason.PERSON_ONLY)]
            rules += [self_service, Rule(_is_member(user), Reason.NOT_MEMBER)]
        case Action.RENEW_OWN:
            if user is None:
                return [*rules, Rule(False, Reason.PERSON_ONLY)]
            rules.append(Rule(_is_member(user), Reason.NOT_MEMBER))
            if not admin:  # owners renew as they manage members; members when the group lets them
                rules += [
                    self_service,
                    Rule(column("members_can_renew", True) | _is_owner(user), Reason.RENEW_OFF),
                ]
        case Action.EDIT | Action.DELETE:
            if not admin:
                rules += [owner, self_service]
                if not settings.users_can_create_security_groups:
                    rules.append(
                        Rule(
                            ~column("group_type", GroupType.SECURITY),
                            Reason.edit_off(GroupType.SECURITY),
                        )
                    )
                if not settings.users_can_create_microsoft365_groups:
                    rules.append(
                        Rule(
                            ~column("group_type", GroupType.MICROSOFT365),
                            Reason.edit_off(GroupType.MICROSOFT365),
                        )
                    )
        case Action.MANAGE_MEMBERS:
            if not admin:
                rules += [owner, self_service]
        case Action.MANAGE_OWNERS:
            if not admin:
                rules += [
                    owner,
                    self_service,
                    Rule(_may_assign_owners(user, settings), Reason.OWNER_ASSIGN_SELECTED),
                ]
        case Action.VIEW_REQUESTS | Action.DECIDE_REQUESTS:
            if not admin:
                rules += [
                    owner,
                    self_service,
                    Rule(settings.owners_can_manage_requests, Reason.REQUESTS_NOT_MANAGED),
                ]
                if action == Action.DECIDE_REQUESTS:
                    rules.append(Rule(user.has_premium_license, Reason.DECIDE_LICENSE))
        case _:
            return [Rule(False, Reason.unknown_action(action))]
    return rules


def _may_assign_owners(user: User, settings: GeneralSettings) -> bool:
    if settings.owners_who_can_assign_owners == GeneralSettings.OwnerAssigners.ALL:
        return True
    return settings.selected_owner_assigners.filter(pk=user.pk).exists()


def _as_request_rule(rule: Rule) -> Rule:
    """A group rule restated over join requests (the request's group must satisfy it)."""
    if isinstance(rule.condition, bool):
        return rule
    condition = Q(group__in=Group.objects.filter(as_q(rule.condition)))
    return Rule(condition, rule.reason, rule.headline)


def _request_rules(actor: Actor, action: str, settings: GeneralSettings | None) -> list[Rule]:
    tenant = _tenant_rule(actor)
    if actor.tenant_id is not None:  # the request's group's tenant
        tenant = Rule(Q(group__tenant_id=actor.tenant_id), tenant.reason, not_found=True)
    user = actor.user
    match action:
        case Action.VIEW_REQUEST:
            if actor.administers_tenant and actor.tenant_id is not None:
                return [tenant]  # every request of the tenant's groups (one indexable rule)
            may_see_group_requests = Q(
                group__in=filter_by_rules(
                    Group.objects.all(), _group_rules(actor, Action.VIEW_REQUESTS, settings)
                )
            )
            mine = Q(requester_id=user.pk) if user is not None else Q(pk__in=[])
            return [tenant, Rule(mine | may_see_group_requests, Reason.NOT_OWNER)]
        case Action.CANCEL_REQUEST:
            mine = actor.administers_tenant or Q(requester_id=user.pk)
            return [tenant, Rule(mine, Reason.NOT_REQUESTER)]
        case Action.DECIDE_REQUEST:
            group_rules = _group_rules(actor, Action.DECIDE_REQUESTS, settings)
            not_mine = ~Q(requester_id=user.pk) if user is not None else True
            return [
                tenant,
                Rule(not_mine, Reason.OWN_REQUEST),
                *(_as_request_rule(rule) for rule in group_rules[1:]),
            ]
    return [Rule(False, Reason.unknown_action(action))]


def _rules_for(
    actor: Actor, action: str, model: type[Model], settings: GeneralSettings | None
) -> list[Rule]:
    if model is Group:
        if action not in GROUP_ACTIONS:
            return [Rule(False, Reason.unknown_action(action))]
        return _group_rules(actor, action, settings)
    return _request_rules(actor, action, settings)


NOTHING = Q(pk__in=[])


def all_of(rules: list[Rule]) -> Q:
    """The rules as one SQL condition: the rows that pass them all."""
    condition = Q()
    for rule in rules:
        if rule.condition is False:
            return NOTHING
        if rule.condition is not True:
            condition &= as_q(rule.condition)
    return condition


def filter_by_rules(queryset: QuerySet, rules: list[Rule]) -> QuerySet:
    condition = all_of(rules)
    return queryset.none() if condition is NOTHING else queryset.filter(condition)


def first_failure(rules: list[Rule]) -> Case | Value:
    """An expression: the index of the first rule a row fails, or -1 when it passes them all."""
    whens = []
    for index, rule in enumerate(rules):
        if rule.condition is True:
            continue
        if rule.condition is False:
            whens.append(When(Q(pk__isnull=False), then=Value(index)))
            break
        whens.append(When(~as_q(rule.condition), then=Value(index)))
    if not whens:
        return Value(-1, output_field=IntegerField())
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def failed_on(rules: list[Rule], row: Group) -> int:
    """In Python: the index of the first group rule the row fails, or -1 (`first_failure`'s
    answer, from a row of `Decider.annotate()`). Unknown when the row lacks what a rule reads."""
    for index, rule in enumerate(rules):
        if isinstance(rule.condition, Q):
            raise TypeError("A group rule is a Condition or a bool, not a Q (groups/policy.py)")
        if rule.condition is False or (
            rule.condition is not True and not rule.condition.holds(row)
        ):
            return index
    return -1


def decision_from(rules: list[Rule], failed_index: int) -> Decision:
    if failed_index < 0:
        return ALLOWED
    rule = rules[failed_index]
    return Decision(False, rule.reason, headline=rule.headline, not_found=rule.not_found)


class Decider:
    """Answers many questions for one actor with the tenant's settings read once.

    A page makes one Decider per request: `annotate()` adds what the decisions need to a
    list's query, then `can()` reads them from each row without another query.
    """

    def __init__(self, actor: Actor | User, *, settings: GeneralSettings | None = None) -> None:
        self.actor = as_actor(actor)
        self.user = self.actor.user
        self.refusal = _actor_refusal(self.actor)
        self._settings = settings
        self._rules: dict[tuple[str, type[Model]], list[Rule]] = {}

    @property
    def settings(self) -> GeneralSettings:
        if self._settings is None:
            self._settings = general_settings(self.actor.tenant_id)
        return self._settings

    def groups_panel(self) -> Decision:
        """May this person use the panel's groups features? (Refusals first: no settings read.)"""
        if self.refusal:
            return Decision(False, self.refusal)
        if self.actor.administers_tenant:
            return ALLOWED
        if self.settings.restrict_access_to_groups:
            return Decision(False, Reason.RESTRICTED)
        return ALLOWED

    def shows_approvals(self) -> bool:
        """Approvals is for global admins and for owners (even when the setting stops them
        deciding: the page then says why)."""
        if not self.groups_panel():
            return False
        return self.actor.administers_tenant or Ownership.objects.filter(user=self.user).exists()

    def request_waits_for(self) -> str:
        """Who will decide a pending request, in words (My groups, the group page)."""
        if self.settings.owners_can_manage_requests:
            return Reason.WAITING_FOR_OWNERS
        return Reason.WAITING_FOR_ADMINS

    def for_every_group(self, action: str) -> Decision:
        """The action's refusal that holds whatever the group (a setting, a license), if any.

        Approvals uses it to say why no request can be decided, instead of an empty list.
        """
        if self.refusal:
            return Decision(False, self.refusal)
        for rule in self.rules(action, Group):
            if rule.condition is False:
                return Decision(False, rule.reason)
        return ALLOWED

    def rules(self, action: str, model: type[Model]) -> list[Rule]:
        key = (action, model)
        if key not in self._rules:
            settings = None if self.actor.administers_tenant else self.settings
            self._rules[key] = _rules_for(self.actor, action, model, settings)
        return self._rules[key]

    def queryset(self, action: str, model: type[Model]) -> QuerySet:
        if self.refusal:
            return model.objects.none()
        return filter_by_rules(model.objects.all(), self.rules(action, model))

    def allows(self, action: str) -> Q:
        """The groups on which the actor may do `action`, as one SQL condition (for a list
        ordered or filtered by a decision: Discover)."""
        if self.refusal:
            return NOTHING
        return all_of(self.rules(action, Group)) or Q(pk__isnull=False)  # Q() is no condition

    def annotate(self, queryset: QuerySet, actions: Iterable[str]) -> QuerySet:
        """Fetch with each row what `can()` needs to decide `actions` without another query.

        Groups: the viewer's facts (`viewer_facts()`: owner? member? one EXISTS each, however
        many rules read them; the same columns as groups/selectors.py's `with_viewer_status`,
        so a page showing them pays once); `can()` reads the rules from them and the row's
        columns. Join requests: one `_policy_<action>` column per action, in SQL.
        """
        if self.refusal:
            return queryset.none()
        if queryset.model is not Group:
            return queryset.annotate(
                **{
                    f"_policy_{action}": first_failure(self.rules(action, queryset.model))
                    for action in actions
                }
            )
        return queryset.annotate(**viewer_facts(self.user))

    @property
    def _viewer(self) -> int:
        return self.user.pk if self.user is not None else 0

    def can(
        self, action: str, obj: Group | JoinRequest, *, use_annotation: bool = True
    ) -> Decision:
        """Decide from the row when this Decider annotated it, else ask the database."""
        if self.refusal:
            return Decision(False, self.refusal)
        model = type(obj)
        if model not in (Group, JoinRequest):
            return Decision(False, Reason.unknown_action(action))
        rules = self.rules(action, model)
        if model is Group:
            return self._can_on_group(rules, obj, use_annotation=use_annotation)
        failed = getattr(obj, f"_policy_{action}", None) if use_annotation else None
        if failed is None:
            failed = (
                self.annotate(model.objects.filter(pk=obj.pk), [action])
                .values_list(f"_policy_{action}", flat=True)
                .first()
            )
            if failed is None:  # the object is gone
                return Decision(False, Reason.NOT_FOUND, not_found=True)
        return decision_from(rules, failed)

    def _can_on_group(self, rules: list[Rule], group: Group, *, use_annotation: bool) -> Decision:
        if use_annotation and group.__dict__.get(VIEWER) == self._viewer:
            try:
                return decision_from(rules, failed_on(rules, group))
            except Unknown:  # a column it reads wasn't fetched: ask the database
                pass
        fresh = Group.objects.filter(pk=group.pk).only(*GROUP_RULE_COLUMNS)
        row = fresh.annotate(**viewer_facts(self.user)).first()
        if row is None:  # the group is gone
            return Decision(False, Reason.NOT_FOUND, not_found=True)
        return decision_from(rules, failed_on(rules, row))

    def remove_owner(self, group: Group, *, owner_count: int) -> Decision:
        """The last-owner rule: a self-service group keeps an owner unless an admin acts.

        The caller has checked MANAGE_OWNERS; `owner_count` is the group's owners now.
        """
        if self.actor.administers_tenant or not group.is_self_service or owner_count > 1:
            return ALLOWED
        return Decision(False, Reason.LAST_OWNER)

    def choose_policy(self, membership_policy: str) -> Decision:
        """May this actor give a group this membership policy (create or edit)?"""
        if self.refusal:
            return Decision(False, self.refusal)
        if (
            membership_policy == MembershipPolicy.OWNER_APPROVAL
            and not self.actor.administers_tenant
            and not self.user.has_premium_license
        ):
            return Decision(False, Reason.CREATE_OWNER_APPROVAL_LICENSE, field="membership_policy")
        return ALLOWED

    def create(self, *, group_type: str, membership_policy: str, source: str) -> Decision:
        """May this actor create a group of this type and policy from this source?"""
        if self.refusal:
            return Decision(False, self.refusal)
        if self.actor.administers_tenant:
            return ALLOWED
        if source == GroupSource.ADMIN_CENTER:
            return Decision(False, Reason.ADMIN_ONLY)
        if group_type not in SELF_SERVICE_TYPES:
            return Decision(False, Reason.NOT_SELF_SERVICE, field="group_type")
        if not _creation_allowed(self.settings, group_type):
            return Decision(False, Reason.create_off(group_type), field="group_type")
        chosen = self.choose_policy(membership_policy)
        if not chosen:
            return chosen
        if Group.objects.filter(created_by=self.user).count() >= MAX_GROUPS_CREATED_PER_USER:
            return Decision(False, Reason.CREATE_LIMIT)
        return ALLOWED

    def creatable_types(self) -> list[str]:
        """The group types this actor may create in the panel (for the Create group form)."""
        if self.refusal:
            return []
        if self.actor.administers_tenant:
            return list(GroupType.values)
        return [t for t in SELF_SERVICE_TYPES if _creation_allowed(self.settings, t)]


def groups_for(actor: Actor | User, action: str) -> QuerySet:
    """The groups on which `actor` may do `action` (empty for an unknown action)."""
    return Decider(actor).queryset(action, Group)


def requests_for(actor: Actor | User, action: str) -> QuerySet:
    """The join requests on which `actor` may do `action`."""
    return Decider(actor).queryset(action, JoinRequest)


def can(actor: Actor | User, action: str, obj: Group | JoinRequest) -> Decision:
    """May `actor` do `action` to this group or request? (Two queries: settings and the row.)

    Always asks the database: an annotation on `obj` may have been made for someone else.
    """
    return Decider(actor).can(action, obj, use_annotation=False)


def require(actor: Actor | User, action: str, obj: Group | JoinRequest) -> None:
    """Raise NotAllowed with the policy's reason unless `can()` allows it."""
    can(actor, action, obj).require()


def can_use_groups_panel(actor: Actor | User) -> Decision:
    """The panel's groups features (not the API or admin center) honour the Restrict setting."""
    return Decider(actor).groups_panel()


def can_create(
    actor: Actor | User,
    *,
    group_type: str,
    membership_policy: str,
    source: str = GroupSource.ACCESS_PANEL,
) -> Decision:
    """May `actor` create a group of this type and policy from this source?"""
    return Decider(actor).create(
        group_type=group_type, membership_policy=membership_policy, source=source
    )


def creatable_types(actor: Actor | User) -> list[str]:
    return Decider(actor).creatable_types()


def _creation_allowed(settings: GeneralSettings, group_type: str) -> bool:
    if group_type == GroupType.SECURITY:
        return settings.users_can_create_security_groups
    return settings.users_can_create_microsoft365_groups


def who_may(action: str, group: Group, *, settings: GeneralSettings | None = None) -> QuerySet:
    """The inverse question: the active people of the group's tenant who may do `action` to it.

    Notifications use it ("every owner who may decide this request"). It restates the rules of
    `_group_rules` over people instead of groups; tests/groups/test_policy.py holds the two
    to the same answers for every person, action, group type, policy and setting.
    """
    settings = settings or general_settings(group.tenant_id)
    people = User.objects.filter(tenant_id=group.tenant_id, is_active=True)
    admin = Q(role=User.Role.GLOBAL_ADMIN)
    owner = Q(Exists(Ownership.objects.filter(group_id=group.pk, user=OuterRef("pk"))))
    member = Q(Exists(Membership.objects.filter(group_id=group.pk, user=OuterRef("pk"))))
    licensed = Q(has_premium_license=True)
    nobody = Q(pk__in=[])
    self_service = group.is_self_service
    match action:
        case Action.VIEW:
            condition = Q()
        case Action.VIEW_MEMBERS:
            condition = admin | owner | member
        case Action.JOIN:
            if not self_service or group.membership_policy == MembershipPolicy.CLOSED:
                condition = nobody
            elif (
                group.membership_policy == MembershipPolicy.OPEN
                or settings.owners_can_manage_requests
            ):
                condition = admin | licensed
            else:
                condition = admin
        case Action.LEAVE:
            condition = member if self_service else nobody
        case Action.RENEW_OWN:
            renewers = Q(pk__isnull=False) if group.members_can_renew else owner
            condition = member & (admin | (renewers if self_service else nobody))
        case Action.EDIT | Action.DELETE:
            editable = self_service and _creation_allowed(settings, group.group_type)
            condition = admin | (owner if editable else nobody)
        case Action.MANAGE_MEMBERS:
            condition = admin | (owner if self_service else nobody)
        case Action.MANAGE_OWNERS:
            assigners = owner
            if settings.owners_who_can_assign_owners == GeneralSettings.OwnerAssigners.SELECTED:
                assigners &= Q(pk__in=settings.selected_owner_assigners.values("pk"))
            condition = admin | (assigners if self_service else nobody)
        case Action.VIEW_REQUESTS | Action.DECIDE_REQUESTS:
            deciders = owner if self_service and settings.owners_can_manage_requests else nobody
            if action == Action.DECIDE_REQUESTS:
                deciders &= licensed
            condition = admin | deciders
        case _:
            condition = nobody
    return people.filter(condition)


def who_may_decide(join_request: JoinRequest, *, settings: GeneralSettings | None = None):
    """The people who may approve or deny this request: nobody decides their own."""
    return who_may(Action.DECIDE_REQUESTS, join_request.group, settings=settings).exclude(
        pk=join_request.requester_id
    )


def may_restore(actor: Actor | User, group: Group) -> Decision:
    """Restoring an expired (soft-deleted) group is for global admins of its tenant."""
    actor = as_actor(actor)
    refusal = _actor_refusal(actor)
    if refusal:
        return Decision(False, refusal)
    if actor.tenant_id is not None and actor.tenant_id != group.tenant_id:
        return Decision(False, Reason.NOT_FOUND, not_found=True)
    if not actor.administers_tenant:
        return Decision(False, Reason.ADMIN_ONLY)
    return ALLOWED


def nests(group: Group) -> bool:
    """Only security groups hold or join nested groups (Microsoft 365 groups never nest)."""
    return group.group_type in NESTABLE_TYPES
