"""Applications, their assignments, effective access, blocks and provisioning
(docs/access.md, docs/provisioning.md)."""

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Status
from pydantic.alias_generators import to_camel

from api.core import CamelRouter, changes, choice, paginate, person
from api.schemas import (
    AccessOut,
    ApplicationIn,
    ApplicationOut,
    ApplicationPatch,
    AssignmentIn,
    AssignmentOut,
    BlockIn,
    ErrorBody,
    ProvisioningAttemptOut,
    page_of,
    steps,
)
from applications import actions, selectors
from applications.models import Access, Application, Assignment
from applications.policy import AppAction, applications_for, can
from groups.models import Group
from provisioning import selectors as provisioning_selectors
from provisioning.actions import configure_provisioning
from provisioning.models import Operation, Outcome
from tenants.errors import Invalid, NotFound, Refusal
from tenants.permissions import can_administer, require_administer
from tenants.text import is_id

router = CamelRouter(tags=["Applications"])
ERRORS = {code: ErrorBody for code in (400, 401, 403, 404, 409, 422, 429)}
ApplicationPage = page_of(ApplicationOut, "ApplicationPage")
AssignmentPage = page_of(AssignmentOut, "AssignmentPage")
AccessPage = page_of(AccessOut, "AccessPage")
AttemptPage = page_of(ProvisioningAttemptOut, "ProvisioningAttemptPage")


def _visible(request: HttpRequest):
    """The applications the caller sees, with their owners and provisioning settings."""
    visible = selectors.with_owners(applications_for(request.actor, AppAction.VIEW))
    return visible.select_related("provisioning")


def _application(request: HttpRequest, pk: int, action: str = AppAction.VIEW) -> Application:
    """The application if the caller may see it (404 otherwise, whatever the reason), then
    refused with the policy's reason unless they may do `action` to it."""
    found = _visible(request).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such application in your organisation.")
    if action != AppAction.VIEW:
        can(request.actor, action, found).require()
    return _with_provisioning(request, found)


def _with_provisioning(request: HttpRequest, application: Application) -> Application:
    """Show the provisioning settings (never the token) to those who may change them: global
    admins, as in the Admin center."""
    target = getattr(application, "provisioning", None)
    if target is not None and can_administer(request.actor, application.tenant_id):
        application.provisioning_shown = {
            "scim_url": target.scim_url,
            "enabled": target.enabled,
            "has_token": bool(target.sealed_token),
        }
    return application


@router.get("/applications", response={200: ApplicationPage, **ERRORS})
def list_applications(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    """The applications the caller sees: all of the tenant's for global admins, the ones they
    own for owners."""
    found = _visible(request)
    if search:
        found = found.filter(name__icontains=search.replace("\x00", "")[:100])
    listed = paginate(request, found.order_by("name", "id"), page, page_size)
    listed["items"] = [_with_provisioning(request, item) for item in listed["items"]]
    return listed


@router.post("/applications", response={201: ApplicationOut, **ERRORS})
def create_application(request: HttpRequest, data: ApplicationIn):
    owners = [person(request, key, field="owners") for key in data.owners]
    application = actions.create_application(
        actor=request.actor,
        name=data.name,
        kind=data.kind,
        description=data.description,
        owners=owners,
    )
    return Status(201, _application(request, application.pk))


@router.get("/applications/{application_id}", response={200: ApplicationOut, **ERRORS})
def get_application(request: HttpRequest, application_id: int):
    return _application(request, application_id)


@router.patch("/applications/{application_id}", response={200: ApplicationOut, **ERRORS})
def update_application(request: HttpRequest, application_id: int, data: ApplicationPatch):
    """Edit the application; `provisioning` (global admins) is set as in the Admin center,
    audited; the token is write-only, and left out or blank keeps the stored one. All or
    nothing: a refused provisioning change keeps the rest unchanged too."""
    values = changes(data)
    values.pop("provisioning", None)  # its own action, below
    application = _application(request, application_id, AppAction.MANAGE)
    with transaction.atomic():
        if values:
            actions.update_application(application, actor=request.actor, **values)
        if data.provisioning is not None:
            _configure_provisioning(request, application, data.provisioning)
    return _application(request, application_id)


def _configure_provisioning(request: HttpRequest, application: Application, data) -> None:
    try:
        configure_provisioning(application, actor=request.actor, **changes(data))
    except Refusal as refusal:  # name the field as the body does: provisioning.scimUrl
        if refusal.field:
            refusal.field = f"provisioning.{to_camel(refusal.field)}"
        raise


@router.delete("/applications/{application_id}", response={204: None, **ERRORS})
def delete_application(request: HttpRequest, application_id: int):
    application = _application(request, application_id, AppAction.MANAGE)
    actions.delete_application(application, actor=request.actor)
    return Status(204, None)


# --- Assignments -------------------------------------------------------------------------------


def _assignment_out(assignment: Assignment) -> dict:
    principal = assignment.principal
    return {
        "id": assignment.pk,
        "principal_type": assignment.principal_type,
        "principal_id": principal.pk,
        "principal_name": getattr(principal, "display_name", None) or principal.name,
        "created_at": assignment.created_at,
    }


@router.get("/applications/{application_id}/assignments", response={200: AssignmentPage, **ERRORS})
def list_assignments(
    request: HttpRequest,
    application_id: int,
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    application = _application(request, application_id)
    found = paginate(request, selectors.assignments_of(application), page, page_size)
    found["items"] = [_assignment_out(a) for a in found["items"]]
    return found


@router.post("/applications/{application_id}/assignments", response={201: AssignmentOut, **ERRORS})
def add_assignment(request: HttpRequest, application_id: int, data: AssignmentIn):
    """Give the application to a person (`user`, by id or email), a `group` (its members and
    nested groups' members) or everyone with access to another `application`."""
    application = _application(request, application_id, AppAction.ASSIGN)
    principal = {"user": None, "group": None, "granting_application": None}
    if data.principal_type == "user":
        principal["user"] = person(request, data.principal_id, field="principalId")
    elif data.principal_type == "group":
        principal["group"] = _by_id(Group, request, data.principal_id)
    else:
        principal["granting_application"] = _by_id(Application, request, data.principal_id)
    try:
        assignment = actions.assign(application, actor=request.actor, **principal)
    except Refusal as refusal:  # the form's fields are one field here
        if refusal.field in ("principal", "group", "person"):
            refusal.field = "principalId"
        raise
    return Status(201, _assignment_out(assignment))


def _by_id(model, request: HttpRequest, key):
    found = None
    if is_id(str(key)):
        found = model.objects.filter(pk=int(key), tenant_id=request.user.tenant_id).first()
    if found is None:
        raise Invalid(
            f"No such {model._meta.verbose_name} in your organisation.", field="principalId"
        )
    return found


@router.delete(
    "/applications/{application_id}/assignments/{assignment_id}", response={204: None, **ERRORS}
)
def remove_assignment(request: HttpRequest, application_id: int, assignment_id: int):
    application = _application(request, application_id, AppAction.ASSIGN)
    assignment = selectors.assignments_of(application).filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound("No such assignment.")
    actions.unassign(assignment, actor=request.actor)
    return Status(204, None)


# --- Effective access and blocks -----------------------------------------------------------------


@router.get("/applications/{application_id}/access", response={200: AccessPage, **ERRORS})
def effective_access(
    request: HttpRequest,
    application_id: int,
    search: str = "",
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    """Who has access and why: each person once, with every path; blocked people flagged."""
    application = _application(request, application_id)
    search = search.replace("\x00", "")[:100]
    people = selectors.access_people(application, search=search)
    total = None if search else Access.objects.filter(application=application).count()
    found = paginate(request, people, page, page_size, total=total)
    found["items"] = [_access_out(row) for row in selectors.explain(application, found["items"])]
    return found


def _access_out(row: selectors.AccessRow) -> dict:
    return {
        "user": row.user,
        "paths": steps(row.paths),
        "blocked": row.blocked,
        "block_reason": row.block_reason,
    }


@router.post("/applications/{application_id}/blocks", response={201: AccessOut, **ERRORS})
def block(request: HttpRequest, application_id: int, data: BlockIn):
    application = _application(request, application_id, AppAction.BLOCK)
    blocked = person(request, data.user_id)
    actions.block(application, actor=request.actor, person=blocked, reason=data.reason)
    with_path = list(selectors.access_people(application).filter(pk=blocked.pk))
    for row in selectors.explain(application, with_path):
        return Status(201, _access_out(row))
    # Blocked before having any path: nothing to explain yet.
    return Status(201, {"user": blocked, "paths": [], "blocked": True, "block_reason": data.reason})


@router.delete("/applications/{application_id}/blocks/{user_id}", response={204: None, **ERRORS})
def unblock(request: HttpRequest, application_id: int, user_id: int):
    application = _application(request, application_id, AppAction.BLOCK)
    actions.unblock(application, actor=request.actor, person=person(request, user_id))
    return Status(204, None)


# --- Provisioning ------------------------------------------------------------------------------


@router.get(
    "/applications/{application_id}/provisioning-log", response={200: AttemptPage, **ERRORS}
)
def provisioning_log(
    request: HttpRequest,
    application_id: int,
    outcome: str = "",
    operation: str = "",
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    """The application's provisioning attempts, newest first (global admins, as in the Admin
    center): when, for whom, what, how it went, and the error."""
    application = _application(request, application_id)
    require_administer(request.actor, application.tenant)
    filters = provisioning_selectors.LogFilters(
        application_id=application.pk,
        outcome=choice(outcome, Outcome.values, "outcome"),
        operation=choice(operation, Operation.values, "operation"),
    )
    found = provisioning_selectors.attempts(application.tenant_id, filters)
    return paginate(request, found.select_related("user"), page, page_size)
