"""Refusals inside HTMX requests: show the reason in the messages area, not a broken swap."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class HtmxRefusalMiddleware:
    """A PermissionDenied raised by an HTMX endpoint answers 403 with the policy's reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PermissionDenied) or not getattr(request, "htmx", False):
            return None
        reason = str(exception) or "You don't have permission to do this."
        html = render_to_string("partials/refusal.html", {"reason": reason}, request=request)
        response = HttpResponse(html, status=403)
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
        return response
