"""Refusals: the one hierarchy the policy and the actions raise when a change can't happen.

Nothing was written when a refusal is raised. Each surface maps the four kinds once
(docs/refusals.md): the panel shows a message or a field error, HTMX gets the partial with the
error, Django admin shows an admin message, the API answers 403/404/409/422 JSON.

`NotAllowed` is also a `PermissionDenied` and `NotFound` an `Http404`, so a refusal that no
surface caught still becomes Django's 403 or 404 page, never a 500.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404


class Refusal(Exception):
    """A change that can't happen, with a message a person can act on."""

    status = 400
    code = "refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the input the refusal is about, when there is one

    def __str__(self) -> str:
        return self.message


class NotAllowed(Refusal, PermissionDenied):
    """The policy refuses: the message is its reason (a setting, a license, a role, a limit)."""

    status = 403
    code = "not_allowed"


class NotFound(Refusal, Http404):
    """Unknown, or belonging to another tenant (which must look the same)."""

    status = 404
    code = "not_found"


class Conflict(Refusal):
    """The state forbids it: already a member, name taken, already decided, a cycle."""

    status = 409
    code = "conflict"


class Taken(Conflict):
    """A value that must be unique is already used (an address, a name, an external id).

    Its message may name the value; a surface that answers machines of one tenant about
    values of every tenant (SCIM) says only which field is taken."""


class Invalid(Refusal):
    """An input value is wrong (too long, not an email, not a choice); `field` names it."""

    status = 422
    code = "invalid"
