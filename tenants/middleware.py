"""Request-wide guard: NUL characters in Django admin input (refusals: tenants/web.py)."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

GUARDED = ("/admin/", "/api/", "/scim/")
JSON_SURFACES = ("/api/", "/scim/")  # their bodies are JSON, checked by their own parsers


class RejectNulMiddleware:
    """In Django admin, the API and SCIM, a NUL character in a query or form value is refused
    with 400.

    PostgreSQL text can't hold NUL. The panel's own forms show a field error for it; Django
    admin's search, filters and autocomplete, and the API's query parameters, would pass it
    to the database and fail with 500. (JSON bodies are checked by their parsers.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(GUARDED) and _has_nul(request):
            return _refused(request.path)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    """NUL in the query, or in a form body. API and SCIM bodies aren't parsed here: reading
    `request.POST` would consume a multipart body their views then can't read (500)."""
    form_body = request.method == "POST" and not request.path.startswith(JSON_SURFACES)
    values = [*request.GET.lists(), *(request.POST.lists() if form_body else [])]
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in values)


NUL_MESSAGE = "Your input contains a NUL character, which can't be stored. Remove it and retry."


def _refused(path: str) -> HttpResponse:
    """400 in the shape each surface speaks: the API's envelope, a SCIM error, or text."""
    if path.startswith("/api/"):
        body = {"error": {"code": "bad_request", "message": NUL_MESSAGE}}
        return JsonResponse(body, status=400)
    if path.startswith("/scim/"):
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "400",
            "scimType": "invalidValue",
            "detail": NUL_MESSAGE,
        }
        return JsonResponse(body, status=400, content_type="application/scim+json")
    return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
