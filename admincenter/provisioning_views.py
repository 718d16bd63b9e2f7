"""Admin center → an application's provisioning, and the tenant's provisioning log.

Global admins say where an application's accounts are provisioned (docs/provisioning.md),
test the connection, and read every attempt the worker made. The token is write-only: no page
ever shows it.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from admincenter.forms import ProvisioningForm, ProvisioningLogFilterForm
from admincenter.views import admin_center_view, filtered_list, provisioning_log_url, render_page
from applications import selectors as application_selectors
from applications.policy import AppAction
from provisioning import actions, selectors
from provisioning.models import Outcome
from tenants.errors import Refusal
from tenants.web import show_refusal

RECENT_ATTEMPTS = 10


def _application(request: HttpRequest, pk: int):
    return application_selectors.application_for(request.actor, pk, AppAction.MANAGE)


@require_http_methods(["GET", "HEAD", "POST"])
@admin_center_view
def application_provisioning(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    target = selectors.target_of(application)
    initial = {"scim_url": target.scim_url, "enabled": target.enabled} if target else {}
    form = ProvisioningForm(
        request.POST or None, initial=initial, has_token=bool(target and target.has_token)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.configure_provisioning(application, actor=request.actor, **form.cleaned_data)
        except Refusal as refusal:
            show_refusal(form, refusal)
        else:
            switched_on = form.cleaned_data["enabled"] and not (target and target.enabled)
            messages.success(
                request,
                "Provisioning switched on: everyone with access is being provisioned now."
                if switched_on
                else "Provisioning settings saved.",
            )
            return redirect("admin_center:application_provisioning", pk=application.pk)
    context = {
        "tab": "applications",
        "application": application,
        "form": form,
        "target": target,
        "accounts": selectors.account_counts(application),
        "recent": selectors.attempts(
            request.user.tenant_id, selectors.LogFilters(application_id=application.pk)
        )[:RECENT_ATTEMPTS],
        "log_url": provisioning_log_url(application.pk),
        "failures_url": provisioning_log_url(application.pk, outcome=Outcome.FAILED),
    }
    return render_page(request, "provisioning.html", context)


@require_POST
@admin_center_view
def test_provisioning(request: HttpRequest, pk: int) -> HttpResponse:
    """Test connection: the result is a message on the settings page (and a log line)."""
    application = _application(request, pk)
    try:
        result = actions.test_connection(application, actor=request.actor)
    except Refusal as refusal:
        messages.error(request, refusal.message)
    else:
        (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("admin_center:application_provisioning", pk=application.pk)


@require_safe
@admin_center_view
def provisioning_log(request: HttpRequest) -> HttpResponse:
    tenant_id = request.user.tenant_id
    form = ProvisioningLogFilterForm(
        request.GET, applications=selectors.provisioned_applications(tenant_id)
    )
    valid = form.is_valid()
    rows = selectors.attempts(tenant_id, form.filters() if valid else selectors.LogFilters())
    return filtered_list(
        request,
        form=form,
        rows=rows if valid else rows.none(),
        tab="applications",
        template="provisioning_log.html",
        order=("-at", "-id"),
    )
