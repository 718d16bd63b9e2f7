"""The caller, their access, and the tenant's General settings (global admins)."""

from django.http import HttpRequest
from ninja import Query

from api.core import CamelRouter, changes
from api.schemas import (
    ErrorBody,
    MeOut,
    MyAccessOut,
    SettingsOut,
    SettingsPatch,
    page_of,
    steps,
)
from applications import selectors as app_selectors
from tenants import selectors as tenant_selectors
from tenants.actions import update_general_settings
from tenants.errors import Invalid
from tenants.models import GeneralSettings, User
from tenants.permissions import require_administer

router = CamelRouter(tags=["Me and settings"])
ERRORS = {code: ErrorBody for code in (400, 401, 403, 404, 409, 422, 429)}
MyAccessPage = page_of(MyAccessOut, "MyAccessPage")


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The caller, their role and license")
def me(request: HttpRequest):
    return request.user


@router.get("/me/access", response={200: MyAccessPage, **ERRORS}, summary="My applications")
def my_access(request: HttpRequest, page: int = 1, page_size: int = Query(50, alias="pageSize")):
    found = app_selectors.my_apps(request.user, page=str(page), size=min(max(page_size, 1), 200))
    return {
        "items": [
            {"application": row.application, "paths": steps(row.paths)} for row in found.object_list
        ],
        "total": found.paginator.count,
        "page": found.number,
        "page_size": found.paginator.per_page,
        "next": None
        if not found.has_next()
        else request.build_absolute_uri(
            f"{request.path}?page={found.next_page_number()}&pageSize={found.paginator.per_page}"
        ),
    }


def _settings(tenant_id: int) -> dict:
    current = GeneralSettings.objects.get(tenant_id=tenant_id)
    values = {name: getattr(current, name) for name in GeneralSettings.FIELDS}
    values["selected_owner_assigners"] = [
        person.email for person in tenant_selectors.selected_owner_assigners(current)
    ]
    return values


@router.get("/settings", response={200: SettingsOut, **ERRORS}, by_alias=False)
def get_settings(request: HttpRequest):
    """The tenant's General settings (docs/settings.md), for global admins."""
    require_administer(request.actor, request.user.tenant)
    return _settings(request.user.tenant_id)


@router.patch("/settings", response={200: SettingsOut, **ERRORS}, by_alias=False)
def patch_settings(request: HttpRequest, data: SettingsPatch):
    """Change General settings; audited like the Admin center (surface API)."""
    require_administer(request.actor, request.user.tenant)
    values = changes(data)
    emails = values.pop("selected_owner_assigners", None)
    people = None
    if emails is not None:
        wanted = {email.strip().lower() for email in emails}  # addresses are stored lowercase
        people = list(User.objects.filter(tenant_id=request.user.tenant_id, email__in=wanted))
        unknown = sorted(wanted - {p.email for p in people})
        if unknown:
            raise Invalid(
                f"Not people of your organisation: {', '.join(unknown)}.",
                field="selected_owner_assigners",
            )
    update_general_settings(
        request.user.tenant, actor=request.actor, selected_owner_assigners=people, **values
    )
    return _settings(request.user.tenant_id)
