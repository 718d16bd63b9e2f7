"""Template helpers every web surface shares (the pagination partial uses `page_query`)."""

import re

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    """The current query string with `param` set to `number` (other filters kept)."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def cursor_query(context, param: str, cursor: str, other: str) -> str:
    """The current query string pointing at a keyset page: `param` set to `cursor`, the cursor
    of the other direction (`other`) and any page number dropped (other filters kept)."""
    query = context["request"].GET.copy()
    for gone in (other, "page"):
        query.pop(gone, None)
    query[param] = cursor
    return f"?{query.urlencode()}"


WHEN = "j M Y, H:i T"  # 27 Nov 2026, 14:05 UTC: the one date-and-time format of the pages


@register.filter
def when(moment) -> str:
    """A moment in the site's time zone, with the zone named."""
    if moment is None:
        return ""
    return format_date(timezone.localtime(moment), WHEN)


@register.filter
def email_breaks(address: str) -> SafeString:
    """An email address that may wrap only at its natural places: before the @ and after a
    dot or hyphen (<wbr>), never in the middle of a word (tables at any width)."""
    escaped = escape(address or "")
    return mark_safe(
        re.sub(r"(@)|([.\-])", lambda m: f"<wbr>{m[1]}" if m[1] else f"{m[2]}<wbr>", escaped)
    )
