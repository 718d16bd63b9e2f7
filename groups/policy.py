"""The only answer to "may this user do that to this group or request?".

Every rule of the seed and SPEC sections 2-3 is a `Rule`: a condition on the group (or request)
row as a `Q`, or a fact about the user alone as a bool, with the human reason shown when it
fails. `can()` (one object), `groups_for()`/`requests_for()` (querysets) and
`Decider.annotate()` (lists) are all built from the same rules, so they cannot disagree.
The tenant boundary is the first rule of every action; an unknown action is refused.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, IntegerField, Model, OuterRef, Q, QuerySet, Value, When

from groups.models import (
    SELF_SERVICE_TYPES,
    Group,
    GroupSource,
    GroupType,
    JoinRequest,
    Membership,
    MembershipPolicy,
    Ownership,
)
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
    OTHER_TENANT = "This belongs to another organisation."
    NOT_SELF_SERVICE = "Self-service isn't available for this group type."
    CLOSED = "Not available to join: only the group's owners can add members."
    JOIN_LICENSE = "Requesting to join a group needs a Premium license, and you don't have one."
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
        f'the General setting "{SETTING_REQUESTS}" is No.'
    )
    DECIDE_LICENSE = (
        "Approving or denying requests needs a Premium license, and you don't have one."
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
    RESTRICTED = (
        "Your administrator has turned off groups in the Access Panel "
        f'(General setting "{SETTING_RESTRICT}" is Yes).'
    )

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

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


@dataclass(frozen=True)
class Rule:
    condition: Q | bool
    reason: str


def general_settings(user: User) -> GeneralSettings:
    """The tenant's settings, read fresh so a change applies on the very next request."""
    return GeneralSettings.objects.get(tenant_id=user.tenant_id)


def _user_refusal(user: User | None) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return Reason.SIGNED_OUT
    if user.tenant_id is None:
        return Reason.NO_TENANT
    return None


def _is_owner(user: User) -> Q:
    return Q(Exists(Ownership.objects.filter(group=OuterRef("pk"), user_id=user.pk)))


def _is_member(user: User) -> Q:
    return Q(Exists(Membership.objects.filter(group=OuterRef("pk"), user_id=user.pk)))


def _group_rules(user: User, action: str, settings: GeneralSettings) -> list[Rule]:
    """The rules of one action on groups, in the order their reasons should be reported."""
    admin = user.is_global_admin
    rules = [Rule(Q(tenant_id=user.tenant_id), Reason.OTHER_TENANT)]
    self_service = Rule(Q(group_type__in=SELF_SERVICE_TYPES), Reason.NOT_SELF_SERVICE)
    owner = Rule(_is_owner(user), Reason.NOT_OWNER)
    match action:
        case Action.VIEW:
            pass
        case Action.VIEW_MEMBERS:
            if not admin:
                rules.append(Rule(_is_owner(user) | _is_member(user), Reason.MEMBERS_HIDDEN))
        case Action.JOIN:
            rules += [
                self_service,
                Rule(~Q(membership_policy=MembershipPolicy.CLOSED), Reason.CLOSED),
            ]
            if not admin:
                rules.append(Rule(user.has_premium_license, Reason.JOIN_LICENSE))
                if not settings.owners_can_manage_requests:
                    rules.append(
                        Rule(Q(membership_policy=MembershipPolicy.OPEN), Reason.REQUESTS_OFF)
                    )
        case Action.LEAVE:
            rules += [self_service, Rule(_is_member(user), Reason.NOT_MEMBER)]
        case Action.EDIT | Action.DELETE:
            if not admin:
                rules += [owner, self_service]
                if not settings.users_can_create_security_groups:
                    rules.append(
                        Rule(~Q(group_type=GroupType.SECURITY), Reason.edit_off(GroupType.SECURITY))
                    )
                if not settings.users_can_create_microsoft365_groups:
                    rules.append(
                        Rule(
                            ~Q(group_type=GroupType.MICROSOFT365),
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
    return Rule(Q(group__in=Group.objects.filter(rule.condition)), rule.reason)


def _request_rules(user: User, action: str, settings: GeneralSettings) -> list[Rule]:
    tenant = Rule(Q(group__tenant_id=user.tenant_id), Reason.OTHER_TENANT)
    match action:
        case Action.VIEW_REQUEST:
            may_see_group_requests = Q(
                group__in=_filter(
                    Group.objects.all(), _group_rules(user, Action.VIEW_REQUESTS, settings)
                )
            )
            return [
                tenant,
                Rule(Q(requester_id=user.pk) | may_see_group_requests, Reason.NOT_OWNER),
            ]
        case Action.CANCEL_REQUEST:
            return [
                tenant,
                Rule(user.is_global_admin or Q(requester_id=user.pk), Reason.NOT_REQUESTER),
            ]
        case Action.DECIDE_REQUEST:
            group_rules = _group_rules(user, Action.DECIDE_REQUESTS, settings)
            return [
                tenant,
                Rule(~Q(requester_id=user.pk), Reason.OWN_REQUEST),
                *(_as_request_rule(rule) for rule in group_rules[1:]),
            ]
    return [Rule(False, Reason.unknown_action(action))]


def _rules_for(
    user: User, action: str, model: type[Model], settings: GeneralSettings
) -> list[Rule]:
    if model is Group:
        if action not in GROUP_ACTIONS:
            return [Rule(False, Reason.unknown_action(action))]
        return _group_rules(user, action, settings)
    return _request_rules(user, action, settings)


def _filter(queryset: QuerySet, rules: list[Rule]) -> QuerySet:
    condition = Q()
    for rule in rules:
        if rule.condition is False:
            return queryset.none()
        if rule.condition is not True:
            condition &= rule.condition
    return queryset.filter(condition)


def _first_failure(rules: list[Rule]) -> Case | Value:
    """An expression: the index of the first rule a row fails, or -1 when it passes them all."""
    whens = []
    for index, rule in enumerate(rules):
        if rule.condition is True:
            continue
        if rule.condition is False:
            whens.append(When(Q(pk__isnull=False), then=Value(index)))
            break
        whens.append(When(~rule.condition, then=Value(index)))
    if not whens:
        return Value(-1, output_field=IntegerField())
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def _decision(rules: list[Rule], failed_index: int) -> Decision:
    return ALLOWED if failed_index < 0 else Decision(False, rules[failed_index].reason)


class Decider:
    """Answers many questions for one user with the tenant's settings read once.

    A page makes one Decider per request: `annotate()` adds the decisions to a list's query,
    then `can()` reads them back from each row without another query.
    """

    def __init__(self, user: User, *, settings: GeneralSettings | None = None) -> None:
        self.user = user
        self.refusal = _user_refusal(user)
        self._settings = settings
        self._rules: dict[tuple[str, type[Model]], list[Rule]] = {}

    @property
    def settings(self) -> GeneralSettings:
        if self._settings is None:
            self._settings = general_settings(self.user)
        return self._settings

    def groups_panel(self) -> Decision:
        """May this user use the panel's groups features? (Refusals first: no settings read.)"""
        return can_use_groups_panel(self.user, settings=None if self.refusal else self.settings)

    def shows_approvals(self) -> bool:
        """Approvals is for global admins and for owners (even when the setting stops them
        deciding: the page then says why)."""
        if not self.groups_panel():
            return False
        return self.user.is_global_admin or Ownership.objects.filter(user=self.user).exists()

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
            self._rules[key] = _rules_for(self.user, action, model, self.settings)
        return self._rules[key]

    def queryset(self, action: str, model: type[Model]) -> QuerySet:
        if self.refusal:
            return model.objects.none()
        return _filter(model.objects.all(), self.rules(action, model))

    def annotate(self, queryset: QuerySet, actions: Iterable[str]) -> QuerySet:
        """Add one `_policy_<action>` column per action, read back by `can()`."""
        if self.refusal:
            return queryset.none()
        return queryset.annotate(
            **{
                f"_policy_{action}": _first_failure(self.rules(action, queryset.model))
                for action in actions
            }
        )

    def can(
        self, action: str, obj: Group | JoinRequest, *, use_annotation: bool = True
    ) -> Decision:
        """Read the decision from the row's annotation (made by this Decider) or query it."""
        if self.refusal:
            return Decision(False, self.refusal)
        model = type(obj)
        if model not in (Group, JoinRequest):
            return Decision(False, Reason.unknown_action(action))
        failed = getattr(obj, f"_policy_{action}", None) if use_annotation else None
        if failed is None:
            failed = (
                self.annotate(model.objects.filter(pk=obj.pk), [action])
                .values_list(f"_policy_{action}", flat=True)
                .first()
            )
            if failed is None:  # the object is gone
                return Decision(False, Reason.OTHER_TENANT)
        return _decision(self.rules(action, model), failed)

    def decisions(self, obj: Group | JoinRequest, actions: Iterable[str]) -> dict[str, Decision]:
        """Several decisions about one object from one annotated row."""
        actions = list(actions)
        if self.refusal:
            return {action: Decision(False, self.refusal) for action in actions}
        row = self.annotate(type(obj).objects.filter(pk=obj.pk), actions).first()
        if row is None:
            return {action: Decision(False, Reason.OTHER_TENANT) for action in actions}
        return {action: self.can(action, row) for action in actions}


def groups_for(user: User, action: str) -> QuerySet:
    """The groups on which `user` may do `action` (empty for an unknown action)."""
    return Decider(user).queryset(action, Group)


def requests_for(user: User, action: str) -> QuerySet:
    """The join requests on which `user` may do `action`."""
    return Decider(user).queryset(action, JoinRequest)


def can(user: User, action: str, obj: Group | JoinRequest) -> Decision:
    """May `user` do `action` to this group or request? (Two queries: settings and the row.)

    Always asks the database: an annotation on `obj` may have been made for someone else.
    """
    return Decider(user).can(action, obj, use_annotation=False)


def require(user: User, action: str, obj: Group | JoinRequest) -> None:
    """Raise PermissionDenied with the policy's reason unless `can()` allows it."""
    decision = can(user, action, obj)
    if not decision:
        raise PermissionDenied(decision.reason)


def can_use_groups_panel(user: User, *, settings: GeneralSettings | None = None) -> Decision:
    """The panel's groups features (not the API or admin center) honour the Restrict setting."""
    refusal = _user_refusal(user)
    if refusal:
        return Decision(False, refusal)
    if user.is_global_admin:
        return ALLOWED
    settings = settings or general_settings(user)
    if settings.restrict_access_to_groups:
        return Decision(False, Reason.RESTRICTED)
    return ALLOWED


def can_create(
    user: User,
    *,
    group_type: str,
    membership_policy: str,
    source: str = GroupSource.ACCESS_PANEL,
    settings: GeneralSettings | None = None,
) -> Decision:
    """May `user` create a group of this type and policy from this source?"""
    refusal = _user_refusal(user)
    if refusal:
        return Decision(False, refusal)
    if user.is_global_admin:
        return ALLOWED
    if source == GroupSource.ADMIN_CENTER:
        return Decision(False, Reason.ADMIN_ONLY)
    if group_type not in SELF_SERVICE_TYPES:
        return Decision(False, Reason.NOT_SELF_SERVICE, field="group_type")
    settings = settings or general_settings(user)
    if not _creation_allowed(settings, group_type):
        return Decision(False, Reason.create_off(group_type), field="group_type")
    if membership_policy == MembershipPolicy.OWNER_APPROVAL and not user.has_premium_license:
        return Decision(False, Reason.CREATE_OWNER_APPROVAL_LICENSE, field="membership_policy")
    if Group.objects.filter(created_by=user).count() >= MAX_GROUPS_CREATED_PER_USER:
        return Decision(False, Reason.CREATE_LIMIT)
    return ALLOWED


def _creation_allowed(settings: GeneralSettings, group_type: str) -> bool:
    if group_type == GroupType.SECURITY:
        return settings.users_can_create_security_groups
    return settings.users_can_create_microsoft365_groups


def creatable_types(user: User, *, settings: GeneralSettings | None = None) -> list[str]:
    """The group types `user` may create in the panel (for the Create group form)."""
    if _user_refusal(user):
        return []
    if user.is_global_admin:
        return list(GroupType.values)
    settings = settings or general_settings(user)
    return [t for t in SELF_SERVICE_TYPES if _creation_allowed(settings, t)]


def require_create(user: User, **kwargs) -> None:
    decision = can_create(user, **kwargs)
    if not decision:
        raise PermissionDenied(decision.reason)
