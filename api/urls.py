"""The REST API's routes (/api/v1/), its OpenAPI schema and its docs page."""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import re_path

from api.core import api, error_response
from api.endpoints import applications, groups, me

api.add_router("", groups.router)
api.add_router("", applications.router)
api.add_router("", me.router)


def _json_not_allowed(view):
    """Ninja answers a method a path doesn't take with an empty 405: give the error envelope."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        answer = error_response(
            request, 405, "method_not_allowed", f"{request.method} isn't supported here."
        )
        answer["Allow"] = response.get("Allow", "")
        return answer

    return wrapper


def _token_only(patterns: list) -> list:
    """The API authenticates by bearer token, not by the session: exempt from
    LoginRequiredMiddleware (the docs page and schema are public documentation)."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _token_only(pattern.url_patterns)
        else:
            pattern.callback = _json_not_allowed(pattern.callback)
            pattern.callback.login_required = False
    return patterns


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other /api/v1/ path: 404 in the error envelope, not the panel's HTML page."""
    return error_response(request, 404, "not_found", f"There is no /api/v1/{rest} endpoint.")


unknown_path.login_required = False
urlpatterns = [*_token_only(api.urls[0]), re_path(r"^(?P<rest>.*)$", unknown_path)]
app_name = "api"  # the namespace the API reverses its own URLs in (urls_namespace)
