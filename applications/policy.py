"""The only answer to "may this actor do that to this application?" (docs/visibility.md).

Built like groups/policy.py, from the same pieces: each action is a list of Rules, the tenant
boundary first (another tenant's application is not found), and `can()` and
`applications_for()` come from the same rules.

- Global admins (and SCIM clients and system jobs, as for groups) create, edit and delete
  applications, block people, and move direct access into a group.
- An application's owners manage its assignments (to any group of their tenant) and see its
  effective access. Everyone else sees only their own access (My apps).
"""

from enum import StrEnum

from django.db.models import Exists, OuterRef, Q, QuerySet

from applications.models import Application, ApplicationOwnership
from groups.policy import ALLOWED, Decision, Rule, decision_from, filter_by_rules, first_failure
from tenants.actors import Actor, as_actor

NOT_FOUND = "Not found in your organisation."
ADMIN_ONLY = "Only global admins can do this."
NOT_APP_OWNER = "Only the application's owners and global admins can do this."
SIGNED_OUT = "Sign in to use applications."


class AppAction(StrEnum):
    VIEW = "view"  # its page: assignments and effective access
    MANAGE = "manage"  # edit, delete, owners
    ASSIGN = "assign"
    BLOCK = "block"
    MOVE_ACCESS = "move_access"


def _rules(actor: Actor, action: str) -> list[Rule]:
    if actor.user is not None and not actor.user.is_active:
        return [Rule(False, SIGNED_OUT)]
    rules = [
        Rule(True, NOT_FOUND, not_found=True)
        if actor.tenant_id is None
        else Rule(Q(tenant_id=actor.tenant_id), NOT_FOUND, not_found=True)
    ]
    if actor.administers_tenant:
        return rules if action in frozenset(AppAction) else [Rule(False, ADMIN_ONLY)]
    owner = Q(
        Exists(ApplicationOwnership.objects.filter(application=OuterRef("pk"), user=actor.user))
    )
    match action:
        case AppAction.VIEW | AppAction.ASSIGN:
            return [*rules, Rule(owner, NOT_APP_OWNER)]
        case _:
            return [*rules, Rule(False, ADMIN_ONLY)]


def can(actor: Actor, action: str, application: Application) -> Decision:
    """May `actor` do `action` to this application? (One query.)"""
    actor = as_actor(actor)
    rules = _rules(actor, action)
    failed = (
        Application.objects.filter(pk=application.pk)
        .annotate(_failed=first_failure(rules))
        .values_list("_failed", flat=True)
        .first()
    )
    if failed is None:
        return Decision(False, NOT_FOUND, not_found=True)
    return decision_from(rules, failed)


def decisions(actor: Actor, application: Application, actions) -> dict[str, Decision]:
    """Several decisions about one application from one query (its page's buttons)."""
    actor = as_actor(actor)
    rules = {action: _rules(actor, action) for action in actions}
    row = (
        Application.objects.filter(pk=application.pk)
        .annotate(**{f"_failed_{action}": first_failure(rules[action]) for action in rules})
        .values(*(f"_failed_{action}" for action in rules))
        .first()
    )
    if row is None:
        return {action: Decision(False, NOT_FOUND, not_found=True) for action in rules}
    return {action: decision_from(rules[action], row[f"_failed_{action}"]) for action in rules}


def require(actor: Actor, action: str, application: Application) -> None:
    can(actor, action, application).require()


def applications_for(actor: Actor, action: str) -> QuerySet:
    """The applications on which `actor` may do `action`."""
    return filter_by_rules(Application.objects.all(), _rules(as_actor(actor), action))


def may_create(actor: Actor) -> Decision:
    actor = as_actor(actor)
    return ALLOWED if actor.administers_tenant else Decision(False, ADMIN_ONLY)
