"""The panel's lifecycle buttons (docs/lifecycle.md): Renew (a membership), Renew group, and
the group's membership duration options. Thin views over groups/lifecycle.py; the group page
shows them (groups/views.py)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_POST

from groups import lifecycle
from groups.forms import MembershipOptionsForm
from groups.policy import Action
from groups.views import _back_to_group, _group_for, _posted_person, groups_panel
from tenants.errors import Invalid


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y")


@require_POST
@groups_panel
def renew_membership(request: HttpRequest, pk: int) -> HttpResponse:
    """Renew: an owner for any member, a member for themselves (the action decides)."""
    group = _group_for(request, pk)
    person = _posted_person(request)
    membership = lifecycle.renew_membership(group, actor=request.actor, person=person)
    whose = "Your" if person.pk == request.user.pk else f"{person.display_name}'s"
    messages.success(request, f"{whose} membership now ends on {_day(membership.ends_at)}.")
    return _back_to_group(request, pk)


@require_POST
@groups_panel
def renew_group(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    lifecycle.renew_group(group, actor=request.actor)
    messages.success(request, f"“{group.display_name}” renewed: its lifetime starts again today.")
    return _back_to_group(request, pk)


@require_POST
@groups_panel
def membership_options(request: HttpRequest, pk: int) -> HttpResponse:
    group = _group_for(request, pk, require=Action.MANAGE_MEMBERS)
    form = MembershipOptionsForm(request.POST)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise Invalid(" ".join(errors), field=field)
    lifecycle.set_membership_options(group, actor=request.actor, **form.cleaned_data)
    messages.success(request, "Membership duration saved.")
    return _back_to_group(request, pk)
