"""An application's page: who has access and why, its assignments, blocks, and moving direct
access into a group. The same views serve the application's owners in the panel
(`/applications/<id>/`) and global admins in the Admin center (`/admin-center/applications/…`):
the URL says which surface, so the audit log says where each change was made, and the page
shows only what the policy allows the viewer to do.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from applications import actions, selectors
from applications.forms import (
    ApplicationForm,
    AssignmentForm,
    BlockForm,
    MoveAccessForm,
    search_term,
)
from applications.models import Application, ApplicationKind
from applications.policy import AppAction, decisions, may_create
from tenants.actors import Surface
from tenants.csv_export import streaming_csv
from tenants.errors import Invalid, NotAllowed, NotFound, Refusal
from tenants.web import acting_person, safe_next, show_refusal

PANEL, ADMIN_CENTER = Surface.PANEL, Surface.ADMIN_CENTER


@dataclass(frozen=True)
class Place:
    """Where the page lives: its surface, its base template and its URL names' prefix."""

    surface: str

    @property
    def template(self) -> str:
        return (
            "admin_center/application.html"
            if self.surface == ADMIN_CENTER
            else ("applications/detail.html")
        )

    def url(self, name: str, *args) -> str:
        prefix = "admin_center:application_" if self.surface == ADMIN_CENTER else "application_"
        return reverse(f"{prefix}{name}", args=args)


def _enter(request: HttpRequest, surface: str) -> Place:
    """The acting person for this surface; the Admin center is for global admins only."""
    if surface == ADMIN_CENTER and not request.user.is_global_admin:
        raise NotAllowed("Only global admins can open the Admin center.")
    request.actor = acting_person(request, surface)
    return Place(surface)


def _application(request: HttpRequest, pk: int, action: str = AppAction.VIEW) -> Application:
    return selectors.application_for(request.actor, pk, action)


def _decisions(request: HttpRequest, application: Application) -> dict:
    found = decisions(request.actor, application, list(AppAction))  # one query
    return {action.value: decision for action, decision in found.items()}


# --- The application's page ----------------------------------------------------------------


@require_safe
def detail(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk)
    return render(request, place.template, _page_context(request, place, application))


def _page_context(request: HttpRequest, place: Place, application: Application, **forms) -> dict:
    decisions = _decisions(request, application)
    search = search_term(request.GET)
    context = {
        "application": application,
        "place": place,
        "tab": "applications",
        "nav_active": "admin_center" if place.surface == ADMIN_CENTER else "",
        "can": decisions,
        "owners": selectors.owners_of(application),
        "assignments": selectors.assignments_of(application),
        "access_page": selectors.effective_access(application, request.GET, search=search),
        "q": search,
        "assign_form": forms.get("assign_form") or AssignmentForm(tenant_id=application.tenant_id),
        "urls": _urls(place, application),
    }
    if decisions["block"]:
        context["blocks"] = selectors.blocks_of(application)
        context["block_form"] = forms.get("block_form") or BlockForm()
    if decisions["move_access"]:
        context["direct_count"] = selectors.direct_access_count(application)
        context["move_form"] = forms.get("move_form") or MoveAccessForm()
        context["move_preview"] = forms.get("move_preview")
    if decisions["manage"]:
        context["edit_form"] = forms.get("edit_form") or ApplicationForm(
            initial={f: getattr(application, f) for f in actions.EDITABLE_FIELDS}
        )
        context["other_applications"] = Application.objects.filter(
            tenant_id=application.tenant_id
        ).exclude(pk=application.pk)
    return context


def _urls(place: Place, application: Application) -> dict[str, str]:
    names = (
        "detail",
        "access",
        "access_csv",
        "assign",
        "unassign",
        "block",
        "unblock",
        "move",
        "edit",
        "delete",
        "add_owner",
        "remove_owner",
    )
    return {name: place.url(name, application.pk) for name in names}


def _posted_id(request: HttpRequest, field: str) -> int:
    value = request.POST.get(field, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0


def _back(request: HttpRequest, place: Place, application: Application) -> HttpResponse:
    return redirect(safe_next(request, place.url("detail", application.pk)))


@require_safe
@vary_on_headers("HX-Request")
def access_list(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    """The effective-access table alone (HTMX search and pages)."""
    place = _enter(request, surface)
    application = _application(request, pk)
    search = search_term(request.GET)
    context = {
        "application": application,
        "place": place,
        "access_page": selectors.effective_access(application, request.GET, search=search),
        "q": search,
        "urls": _urls(place, application),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "applications/_page.html#access", context)
    return redirect(f"{place.url('detail', pk)}?{urlencode({'q': search})}")


@require_safe
def access_csv(request: HttpRequest, pk: int, surface: str = PANEL) -> StreamingHttpResponse:
    """Everyone with a path, streamed: name, email, access, block reason, paths."""
    _enter(request, surface)
    application = _application(request, pk)
    rows = (
        (
            row.user.display_name,
            row.user.email,
            "blocked" if row.blocked else "access",
            row.block_reason,
            " | ".join(row.path_texts),
        )
        for row in selectors.all_effective_access(application)
    )
    return streaming_csv(
        ("display_name", "email", "status", "block_reason", "paths"),
        rows,
        f"application-{application.pk}-access.csv",
    )


# --- Assignments -------------------------------------------------------------------------------


@require_POST
def assign(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    """Assign the application to a group (owners and admins), a person or an application."""
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.ASSIGN)
    form = AssignmentForm(request.POST, tenant_id=application.tenant_id)
    if form.is_valid():
        try:
            actions.assign(application, actor=request.actor, **form.principal())
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, f"{form.principal_label()} now has access.")
            return _back(request, place, application)
    context = _page_context(request, place, application, assign_form=form)
    return render(request, place.template, context, status=422)


@require_POST
def unassign(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.ASSIGN)
    assignment = (
        selectors.assignments_of(application).filter(pk=_posted_id(request, "assignment")).first()
    )
    if assignment is None:
        raise NotFound("No such assignment.")
    actions.unassign(assignment, actor=request.actor)
    messages.success(request, f"Removed the access of {assignment.principal}.")
    return _back(request, place, application)


# --- Blocks ------------------------------------------------------------------------------------


@require_POST
def block(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.BLOCK)
    form = BlockForm(request.POST, tenant_id=application.tenant_id)
    if form.is_valid():
        try:
            actions.block(
                application,
                actor=request.actor,
                person=form.cleaned_data["person"],
                reason=form.cleaned_data["reason"],
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            person = form.cleaned_data["person"]
            messages.success(request, f"{person.display_name} is blocked from this application.")
            return _back(request, place, application)
    context = _page_context(request, place, application, block_form=form)
    return render(request, place.template, context, status=422)


@require_POST
def unblock(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.BLOCK)
    person = selectors.blocks_of(application).filter(user_id=_posted_id(request, "user")).first()
    if person is None:
        raise NotFound("This person isn't blocked from this application.")
    actions.unblock(application, actor=request.actor, person=person.user)
    messages.success(request, f"{person.user.display_name} is no longer blocked.")
    return _back(request, place, application)


# --- Move direct access into a group ---------------------------------------------------------


@require_POST
def move(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    """Preview, then confirm, moving everyone with direct access into a group."""
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.MOVE_ACCESS)
    form = MoveAccessForm(request.POST, tenant_id=application.tenant_id)
    if form.is_valid():
        group = form.cleaned_data["group"]
        if "confirm" not in request.POST:
            preview = selectors.preview_move(application, group)
            context = _page_context(
                request, place, application, move_form=form, move_preview=preview
            )
            return render(request, place.template, context)
        try:
            result = actions.move_direct_access(
                application,
                actor=request.actor,
                group=group,
                remove_direct=form.cleaned_data["remove_direct"],
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            moved = len(result.added.added)
            messages.success(
                request,
                f"Moved direct access into “{group.display_name}”: {moved} added to the group"
                + (
                    f", {result.direct_removed} direct assignments removed."
                    if result.direct_removed
                    else "."
                ),
            )
            return _back(request, place, application)
    context = _page_context(request, place, application, move_form=form)
    return render(request, place.template, context, status=422)


# --- Editing and owners (global admins) --------------------------------------------------------


@require_POST
def edit(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.MANAGE)
    form = ApplicationForm(request.POST)
    if form.is_valid():
        try:
            actions.update_application(application, actor=request.actor, **form.cleaned_data)
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, "Application saved.")
            return _back(request, place, application)
    context = _page_context(request, place, application, edit_form=form)
    return render(request, place.template, context, status=422)


@require_POST
def delete(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    _enter(request, surface)
    application = _application(request, pk, AppAction.MANAGE)
    actions.delete_application(application, actor=request.actor)
    messages.success(request, f"“{application.name}” deleted. Its people lost its access.")
    return redirect("admin_center:applications")


@require_POST
def add_owner(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.MANAGE)
    person = selectors.person_by_email(request.actor, request.POST.get("email", ""))
    if person is None:
        raise Invalid("No one in your organisation has this email address.", field="email")
    actions.add_application_owner(application, actor=request.actor, person=person)
    messages.success(request, f"{person.display_name} now owns “{application.name}”.")
    return _back(request, place, application)


@require_POST
def remove_owner(request: HttpRequest, pk: int, surface: str = PANEL) -> HttpResponse:
    place = _enter(request, surface)
    application = _application(request, pk, AppAction.MANAGE)
    ownership = selectors.owners_of(application).filter(user_id=_posted_id(request, "user")).first()
    if ownership is None:
        raise NotFound("This person doesn't own this application.")
    actions.remove_application_owner(application, actor=request.actor, person=ownership.user)
    messages.success(request, f"{ownership.user.display_name} no longer owns it.")
    return _back(request, place, application)


# --- The Admin center's list ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def admin_list(request: HttpRequest) -> HttpResponse:
    """Admin center → Applications: the list, and Create."""
    place = _enter(request, ADMIN_CENTER)
    form = ApplicationForm(request.POST or None, initial={"kind": ApplicationKind.SAAS_APP})
    if request.method == "POST":
        may_create(request.actor).require()
        if form.is_valid():
            try:
                application = actions.create_application(actor=request.actor, **form.cleaned_data)
            except Refusal as refusal:
                show_refusal(form, refusal)
            else:
                messages.success(request, f"“{application.name}” created. Now assign its access.")
                return redirect(place.url("detail", application.pk))
    search = search_term(request.GET)
    context = {
        "tab": "applications",
        "nav_active": "admin_center",
        "form": form,
        "q": search,
        "page": Paginator(selectors.tenant_applications(request.actor, search=search), 50).get_page(
            request.GET.get("page")
        ),
    }
    return render(request, "admin_center/applications.html", context)
