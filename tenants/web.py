"""What every web surface shares: the acting person, safe redirects, and refusals shown once.

A Refusal (tenants/errors.py) raised by a view reaches `RefusalMiddleware`, which answers as
the surface expects: an HTMX request gets the error partial in the messages area (with the
refusal's status); a conflict or an invalid value posted from a page goes back to that page
with the message; anything else not allowed or not found is the 403 or 404 page with the
reason. Forms show a refusal next to its field with `show_refusal()`. Django admin maps
refusals in tenants/admin.py; the API in its own exception handler.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from tenants.actors import Actor
from tenants.errors import Conflict, Invalid, NotAllowed, NotFound, Refusal

NOT_FOUND = "There's nothing here, or it belongs to another organisation."


def acting_person(request: HttpRequest, surface: str) -> Actor:
    """The signed-in person acting through this surface (for actions and the policy)."""
    return Actor.person(request.user, surface)


def not_here(request: HttpRequest, **kwargs) -> HttpResponse:
    """A page that is switched off: 404 for every method (allauth's email management)."""
    raise Http404(NOT_FOUND)


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go after a POST: the posted `next`, else the page it came from, if on this site.

    Never back to the URL just posted to (a page rendered in answer to a POST, such as a
    preview, has that URL, and a GET there would be refused).
    """
    for candidate in (request.POST.get("next", ""), request.headers.get("Referer", "")):
        if (
            candidate
            and urlsplit(candidate).path != request.path
            and url_has_allowed_host_and_scheme(
                candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            return candidate
    return default


def show_refusal(form, refusal: Refusal) -> None:
    """Show a refusal on a form: next to the field it names, or above the form."""
    form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The panel's and the Admin center's answer to a refusal that no form caught."""
    if getattr(request, "htmx", False):
        html = render_to_string("partials/refusal.html", {"reason": refusal.message}, request)
        response = HttpResponse(html, status=refusal.status)
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
        return response
    if request.method == "POST" and isinstance(refusal, Conflict | Invalid):
        messages.error(request, refusal.message)
        return HttpResponseRedirect(safe_next(request, "/"))
    template = {403: "403.html", 404: "404.html"}.get(refusal.status, "refused.html")
    context = {"exception": refusal.message, "back": _same_site_referer(request)}
    return render(request, template, context, status=refusal.status)


def _same_site_referer(request: HttpRequest) -> str:
    referer = request.headers.get("Referer", "")
    allowed = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
    return referer if referer and allowed else ""


class RefusalMiddleware:
    """Turns refusals raised by views into the surface's answer (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/admin/"):
            return None  # Django admin maps refusals itself (tenants/admin.py)
        if isinstance(exception, Refusal):
            return refusal_response(request, exception)
        if getattr(request, "htmx", False):  # Django's own 403 and 404, inside a partial swap
            if isinstance(exception, PermissionDenied):
                reason = str(exception) or "You don't have permission to do this."
                return refusal_response(request, NotAllowed(reason))
            if isinstance(exception, Http404):
                return refusal_response(request, NotFound(NOT_FOUND))
        return None


class PrivatePagesMiddleware:
    """What a signed-in person is shown (pages, CSV exports) is theirs alone: no shared proxy
    or browser cache keeps it (`Cache-Control: private, no-store`). Static files are served
    before this runs (whitenoise) and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


NEW_SECRET = "new_secret"


def keep_secret_for_next_page(request: HttpRequest, secret: str) -> None:
    """A token just created, for the page the POST redirects to (post/redirect/get: reloading
    that page doesn't create another). `secret_kept()` hands it out once."""
    request.session[NEW_SECRET] = {"path": request.path, "secret": secret}


def secret_kept(request: HttpRequest) -> str | None:
    """The secret kept for this page, once; later visits get None."""
    kept = request.session.get(NEW_SECRET)
    if not kept or kept.get("path") != request.path:
        return None
    del request.session[NEW_SECRET]
    return kept["secret"]
