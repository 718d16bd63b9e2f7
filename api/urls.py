"""The REST API's routes (/api/v1/), its OpenAPI schema and its docs page."""

from api.core import api
from api.endpoints import applications, groups, me

api.add_router("", groups.router)
api.add_router("", applications.router)
api.add_router("", me.router)


def _token_only(patterns: list) -> list:
    """The API authenticates by bearer token, not by the session: exempt from
    LoginRequiredMiddleware (the docs page and schema are public documentation)."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _token_only(pattern.url_patterns)
        else:
            pattern.callback.login_required = False
    return patterns


urlpatterns = _token_only(api.urls[0])
app_name = "api"  # the namespace the API reverses its own URLs in (urls_namespace)
