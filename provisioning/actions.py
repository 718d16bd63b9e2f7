"""Changing an application's provisioning settings, and testing them (global admins)."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from applications.models import Application
from provisioning import tasks
from provisioning.models import URL_MAX, Operation, Outcome, ProvisioningAttempt
from provisioning.models import ProvisioningTarget as Target
from provisioning.provisioner import open_remote
from provisioning.remote import RemoteError, check_destination
from tenants.actors import Actor, as_actor
from tenants.errors import Conflict, Invalid
from tenants.events import changes, record
from tenants.models import EventKind, User
from tenants.permissions import require_administer
from tenants.secrets import seal
from tenants.text import clean_text

TOKEN_MAX = 4000


def _clean_url(url: str) -> str:
    url = clean_text(
        url, field="scim_url", label="SCIM base URL", max_length=URL_MAX, required=True
    )
    try:
        URLValidator(schemes=["http", "https"])(url)
        check_destination(url)
    except ValidationError:
        raise Invalid(f"{url!r} isn't an http:// or https:// address.", field="scim_url") from None
    except RemoteError as error:
        raise Invalid(error.message, field="scim_url") from None
    return url.rstrip("/")


@transaction.atomic
def configure_provisioning(
    application: Application,
    *,
    actor: Actor | User,
    scim_url: str | None = None,
    token: str | None = None,
    enabled: bool | None = None,
) -> Target:
    """Set where and how the application's accounts are provisioned. Only what is given
    changes; an empty token keeps the stored one (it is never shown again). Switching it on
    needs a URL and a token, and reconciles the application at once (docs/provisioning.md)."""
    actor = as_actor(actor)
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_administer(actor, application.tenant)
    target = Target.objects.filter(application=application).first() or Target(
        application=application
    )
    before = {"scim_url": target.scim_url, "enabled": target.enabled}
    if scim_url is not None:
        target.scim_url = _clean_url(scim_url)
    token_changed = bool(token)
    if token:
        token = clean_text(token, field="token", label="Token", max_length=TOKEN_MAX, required=True)
        target.sealed_token = seal(token)
    if enabled is not None:
        target.enabled = enabled
    if not target.scim_url:
        raise Invalid("Give the application's SCIM base URL.", field="scim_url")
    if target.enabled and not target.sealed_token:
        raise Invalid("Give the bearer token the application accepts.", field="token")
    diff = changes(before, {"scim_url": target.scim_url, "enabled": target.enabled})
    if not diff and not token_changed:
        return target
    target.updated_by = actor.user
    target.save()
    if token_changed:
        diff["token"] = {"old": "…", "new": "(changed)"}
    record(
        EventKind.PROVISIONING_UPDATED,
        actor=actor,
        tenant_id=application.tenant_id,
        target=application,
        data=diff,
        payload={"application_id": application.pk, "fields": sorted(diff)},
    )
    if target.enabled and (not before["enabled"] or "scim_url" in diff or token_changed):
        tasks.reconcile.enqueue(application_id=application.pk)
    return target


def refuse_deleting_while_provisioned(kind: str, application: Application) -> None:
    """An application is deleted only with provisioning off: deleting it would forget the
    accounts there without deactivating them (applications.actions.delete_application)."""
    if Target.objects.filter(application=application, enabled=True).exists():
        raise Conflict(
            f"Switch provisioning off for “{application.name}” first: deleting it would leave "
            "its people's accounts active in the application."
        )


@dataclass(frozen=True)
class TestResult:
    ok: bool
    message: str


def test_connection(application: Application, *, actor: Actor | User) -> TestResult:
    """Read the endpoint's ServiceProviderConfig, then one user with the token; logged."""
    actor = as_actor(actor)
    require_administer(actor, application.tenant)
    target = Target.objects.filter(application=application).first()
    if target is None or not target.scim_url:
        raise Invalid("Save the SCIM base URL first.", field="scim_url")
    try:
        with open_remote(target) as endpoint:
            config = endpoint.service_provider_config()
            users = endpoint.count_users()  # this one needs the token
    except RemoteError as error:
        result, status = TestResult(False, f"Connection failed: {error}"), error.status
    else:
        supports = [
            name
            for name, feature in (("PATCH", config.patch), ("filtering", config.filter))
            if feature is not None and feature.supported
        ]
        result, status = (
            TestResult(
                True,
                "Connected: the endpoint answers SCIM 2.0"
                + (f" (supports {' and '.join(supports)})" if supports else "")
                + f" and accepts the token; it has {users:,} user{'s' if users != 1 else ''}.",
            ),
            200,
        )
    ProvisioningAttempt.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        user=actor.user,
        person_label=actor.label[:300],
        operation=Operation.TEST,
        outcome=Outcome.SUCCESS if result.ok else Outcome.FAILED,
        http_status=status,
        error="" if result.ok else result.message,
        trigger="admin",
    )
    return result
