"""Groups, members, owners, nesting, joining, requests: the panel's actions over HTTP."""

from django.http import HttpRequest
from ninja import Query, Status

from api.core import MAX_ID, CamelRouter, changes, choice, paginate, person
from api.schemas import (
    DecisionIn,
    ErrorBody,
    GroupIn,
    GroupOut,
    GroupPatch,
    JoinIn,
    MemberIn,
    MemberOut,
    NestedGroupOut,
    OwnerIn,
    RequestOut,
    UserRef,
    page_of,
)
from groups import actions, selectors
from groups.models import Group, GroupSource, GroupType, JoinRequest, MembershipPolicy
from groups.policy import Action, Decider
from tenants.errors import Conflict, Invalid, NotFound

router = CamelRouter(tags=["Groups"])
ERRORS = {code: ErrorBody for code in (400, 401, 403, 404, 409, 422, 429)}
MemberPage = page_of(MemberOut, "MemberPage")
RequestPage = page_of(RequestOut, "RequestPage")
GroupPage = page_of(GroupOut, "GroupPage")


def _decider(request: HttpRequest) -> Decider:
    request.decider = Decider(request.actor)
    return request.decider


def _groups(request: HttpRequest, filters: selectors.GroupFilters | None = None):
    return selectors.admin_directory(
        request.user, filters=filters or selectors.GroupFilters(), decider=_decider(request)
    )


def _group(request: HttpRequest, pk: int, require: str | None = None) -> Group:
    group = _groups(request).filter(pk=pk).first()
    if group is None:
        raise NotFound("No such group in your organisation.")
    if require:
        request.decider.can(require, group, use_annotation=False).require()
    return group


@router.get("/groups", response={200: GroupPage, **ERRORS}, summary="The group directory")
def list_groups(
    request: HttpRequest,
    search: str = "",
    type: str = "",
    policy: str = "",
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    filters = selectors.GroupFilters(
        search=search.replace("\x00", "")[:100].strip(),
        group_type=choice(type, GroupType.values, "type"),
        policy=choice(policy, MembershipPolicy.values, "policy"),
    )
    return paginate(request, _groups(request, filters), page, page_size)


@router.post("/groups", response={201: GroupOut, **ERRORS}, summary="Create a group")
def create_group(request: HttpRequest, data: GroupIn):
    """Source `api`: security groups are closed, Microsoft 365 groups open; the creator owns
    it unless they are a global admin (docs/creation-defaults.md)."""
    owners = [person(request, key, field="owners") for key in data.owners]
    group = actions.create_group(
        actor=request.actor,
        source=GroupSource.API,
        display_name=data.display_name,
        description=data.description,
        group_type=data.group_type,
        membership_policy=data.membership_policy,
        owners=owners,
    )
    return Status(201, _group(request, group.pk))


@router.get("/groups/{group_id}", response={200: GroupOut, **ERRORS})
def get_group(request: HttpRequest, group_id: int):
    return _group(request, group_id)


@router.patch("/groups/{group_id}", response={200: GroupOut, **ERRORS})
def update_group(request: HttpRequest, group_id: int, data: GroupPatch):
    values = changes(data)
    actions.update_group(_group(request, group_id), actor=request.actor, **values)
    return _group(request, group_id)


@router.delete("/groups/{group_id}", response={204: None, **ERRORS})
def delete_group(request: HttpRequest, group_id: int):
    actions.delete_group(_group(request, group_id), actor=request.actor)
    return Status(204, None)


# --- Members and nested groups -----------------------------------------------------------------


@router.get("/groups/{group_id}/members", response={200: MemberPage, **ERRORS})
def list_members(
    request: HttpRequest,
    group_id: int,
    search: str = "",
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    group = _group(request, group_id, require=Action.VIEW_MEMBERS)
    search = search.replace("\x00", "")[:100].strip()
    members = selectors.group_members(group, search=search)
    return paginate(request, members, page, page_size, total=None if search else group.member_count)


@router.post(
    "/groups/{group_id}/members",
    response={201: MemberOut | NestedGroupOut, **ERRORS},
    summary="Add a member (userId) or nest a security group (groupId)",
)
def add_member(request: HttpRequest, group_id: int, data: MemberIn):
    group = _group(request, group_id)
    if (data.user_id is None) == (data.group_id is None):
        raise Invalid("Give either userId (a person) or groupId (a group to nest).", field="userId")
    if data.group_id is not None:
        child = _groups(request).filter(pk=data.group_id).first()
        if child is None:
            raise Invalid("No such group in your organisation.", field="groupId")
        actions.nest_group(group, actor=request.actor, child=child)
        return Status(201, child)
    added = person(request, data.user_id)
    result = actions.add_members(group, actor=request.actor, people=[added])
    if result.already_members:
        raise Conflict(f"{added.display_name} is already a member of this group.")
    if result.refused:
        raise Invalid(result.refused[0][1], field="userId")
    return Status(201, selectors.group_members(group).get(user=added))


@router.delete("/groups/{group_id}/members/{user_id}", response={204: None, **ERRORS})
def remove_member(request: HttpRequest, group_id: int, user_id: int):
    group = _group(request, group_id)
    actions.remove_member(group, actor=request.actor, person=person(request, user_id))
    return Status(204, None)


@router.get("/groups/{group_id}/nested-groups", response={200: list[NestedGroupOut], **ERRORS})
def list_nested_groups(request: HttpRequest, group_id: int):
    return selectors.nested_groups(_group(request, group_id, require=Action.VIEW_MEMBERS))


@router.delete("/groups/{group_id}/nested-groups/{child_id}", response={204: None, **ERRORS})
def unnest_group(request: HttpRequest, group_id: int, child_id: int):
    group = _group(request, group_id)
    actions.unnest_group(
        group, actor=request.actor, child=selectors.nested_group(group, str(child_id))
    )
    return Status(204, None)


# --- Owners ------------------------------------------------------------------------------------


@router.get("/groups/{group_id}/owners", response={200: list[UserRef], **ERRORS})
def list_owners(request: HttpRequest, group_id: int):
    return [o.user for o in selectors.group_owners(_group(request, group_id))]


@router.post("/groups/{group_id}/owners", response={201: UserRef, **ERRORS})
def add_owner(request: HttpRequest, group_id: int, data: OwnerIn):
    added = person(request, data.user_id)
    actions.add_owner(_group(request, group_id), actor=request.actor, person=added)
    return Status(201, added)


@router.delete("/groups/{group_id}/owners/{user_id}", response={204: None, **ERRORS})
def remove_owner(request: HttpRequest, group_id: int, user_id: int):
    group = _group(request, group_id)
    actions.remove_owner(group, actor=request.actor, person=person(request, user_id))
    return Status(204, None)


# --- Joining and requests ------------------------------------------------------------------------


@router.post(
    "/groups/{group_id}/join",
    response={201: RequestOut, **ERRORS},
    summary="Join an open group, or ask to join an owner-approval group",
)
def join_group(request: HttpRequest, group_id: int, data: JoinIn):
    group = _group(request, group_id)
    asked = actions.request_to_join(group, actor=request.actor, justification=data.justification)
    return Status(201, _request(request, asked.pk))


def _requests(request: HttpRequest):
    return selectors.visible_requests(request.user, decider=_decider(request))


def _request(request: HttpRequest, pk: int) -> JoinRequest:
    found = _requests(request).filter(pk=pk).first()
    if found is None:
        raise NotFound("No such request in your organisation.")
    return found


@router.get("/requests", response={200: RequestPage, **ERRORS}, tags=["Requests"])
def list_requests(
    request: HttpRequest,
    status: str = "",
    group: int | None = Query(None, ge=1, le=MAX_ID),
    page: int = 1,
    page_size: int = Query(50, alias="pageSize"),
):
    found = _requests(request).order_by("-created_at", "-id")
    if choice(status, JoinRequest.Status.values, "status"):
        found = found.filter(status=status)
    if group is not None:
        found = found.filter(group_id=group)
    return paginate(request, found, page, page_size)


def _decide(request: HttpRequest, pk: int, status: str, reason: str = "") -> JoinRequest:
    decided = actions.close_requests(
        [_request(request, pk).pk], actor=request.actor, status=status, reason=reason
    )
    if decided.refused:
        raise decided.refused[0][1]
    return _request(request, pk)


@router.post(
    "/requests/{request_id}/approve", response={200: RequestOut, **ERRORS}, tags=["Requests"]
)
def approve(request: HttpRequest, request_id: int, data: DecisionIn):
    return _decide(request, request_id, JoinRequest.Status.APPROVED, data.reason)


@router.post("/requests/{request_id}/deny", response={200: RequestOut, **ERRORS}, tags=["Requests"])
def deny(request: HttpRequest, request_id: int, data: DecisionIn):
    return _decide(request, request_id, JoinRequest.Status.DENIED, data.reason)


@router.post(
    "/requests/{request_id}/cancel", response={200: RequestOut, **ERRORS}, tags=["Requests"]
)
def cancel(request: HttpRequest, request_id: int):
    return _decide(request, request_id, JoinRequest.Status.CANCELLED)
