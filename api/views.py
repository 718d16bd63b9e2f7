"""The API tokens page (/api-tokens/): create one (shown once), list them, revoke."""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from api.actions import create_api_token, revoke_api_token
from api.models import TOKEN_NAME_MAX, ApiToken
from tenants.actors import Surface
from tenants.errors import NotFound, Refusal
from tenants.web import acting_person, keep_secret_for_next_page, secret_kept, show_refusal

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=TOKEN_NAME_MAX,
        help_text="What it's for, e.g. “Nightly sync script”.",
    )
    expires_in = forms.ChoiceField(
        label="Expires", choices=EXPIRY_CHOICES, initial="90", required=False
    )

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data["expires_in"]
        if not days:
            return None
        end = timezone.localdate() + timedelta(days=int(days))
        return datetime.combine(end, time.max, timezone.get_current_timezone())


@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """Personal API tokens: a token acts as you, with your rights."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = create_api_token(
                request.user,
                actor=acting_person(request, Surface.PANEL),
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
            )
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            keep_secret_for_next_page(request, created)
            return redirect("api_tokens")
    context = {
        "form": form,
        "created": secret_kept(request),  # shown this once
        "tokens": ApiToken.objects.filter(user=request.user),
        "nav_active": "api_tokens",
    }
    return render(request, "api/tokens.html", context)


@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise NotFound("No such token of yours.")
    revoke_api_token(token, actor=acting_person(request, Surface.PANEL))
    messages.success(request, f"“{token.name}” revoked: it no longer works.")
    return redirect("api_tokens")
