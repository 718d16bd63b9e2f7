"""Template helpers every web surface shares (the pagination partial uses `page_query`)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    """The current query string with `param` set to `number` (other filters kept)."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"
