"""Applications, their assignments, effective access and blocks (docs/access.md)."""

from django.http import HttpRequest
from ninja import Query, Status

from api.core import CamelRouter, changes, paginate, person
from api.schemas import (
    AccessOut,
    ApplicationIn,
    ApplicationOut,
    ApplicationPatch,
    AssignmentIn,
    AssignmentOut,
    BlockIn,
    ErrorBody,
    page_of,
    steps,
)
from applications import actions, selectors
from applications.models import Access, Application, Assignment
from applications.policy import AppAction, applications_for, can
from groups.models import Group
from tenants.errors import Invalid, NotFound, Refusal

router = CamelRouter(tags=["Applications"])
ERRORS = {code: ErrorBody for code in (400, 401, 403, 404, 409, 422, 429)}
ApplicationPage = page_of(ApplicationOut, "ApplicationPage")
AssignmentPage = page_of(AssignmentOut, "AssignmentPage")
AccessPage = page_of(AccessOut, "AccessPage")


def _application(request: HttpRequest, pk: int, action: str = AppAction.VIEW) -> Application:
    """The application if the caller may see it (404 otherwise, whatever the reason), then
    refused with the policy's reason unless they may do `action` to it."""
    visible = selectors.with_owners(applications_for(request.actor, AppAction.VIEW))
    found = visible.filter(pk=pk).first()
    if found is None:
        raise NotFound("No such application in your organisation.")
    if action != AppAction.VIEW:
        can(request.actor, action, found).require()
    return found


@router.get("/applications", response={200: ApplicationPage, **ERRORS})
def list_applications(
    request: HttpRequest,
    search: str = "",
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    """The applications the caller sees: all of the tenant's for global admins, the ones they
    own for owners."""
    found = selectors.with_owners(applications_for(request.actor, AppAction.VIEW))
    if search:
        found = found.filter(name__icontains=search.replace("\x00", "")[:100])
    return paginate(request, found.order_by("name", "id"), page, page_size)


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
    values = changes(data)
    application = _application(request, application_id, AppAction.MANAGE)
    actions.update_application(application, actor=request.actor, **values)
    return _application(request, application_id)


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
    if isinstance(key, int) or str(key).isdigit():
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
