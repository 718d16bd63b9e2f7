"""Small presentation filters for the panel's templates."""

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from groups.models import DECISION_REASON_MAX

register = template.Library()


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now" under a minute, else "5 minutes ago" (Django's timesince, one unit)."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment, depth=1)} ago"


@register.simple_tag
def decision_reason_max() -> int:
    """The Deny reason's length limit, for the input's maxlength."""
    return DECISION_REASON_MAX
