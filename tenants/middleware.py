"""Request-wide guard: NUL characters in Django admin input (refusals: tenants/web.py)."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RejectNulMiddleware:
    """In Django admin, a NUL character in a query or form value is refused with 400.

    PostgreSQL text can't hold NUL. The panel's own forms show a field error for it; Django
    admin's search, filters and autocomplete would pass it to the database and fail with 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and _has_nul(request):
            return HttpResponseBadRequest(
                "Your input contains a NUL character, which can't be stored. Remove it and retry.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    values = [*request.GET.lists(), *(request.POST.lists() if request.method == "POST" else [])]
    return any("\x00" in key or any("\x00" in v for v in vs) for key, vs in values)
