"""Keyset pagination: "the rows after this one", for lists too long to count or to skip through.

A page is the `size` rows that follow (`?after=`) or precede (`?before=`) a cursor in a fixed
order that ends with a unique column; the cursor holds the order's values of the row at the
page's edge. Each page costs the same whatever its depth: the database walks an index from
the cursor instead of counting and skipping rows (OFFSET), and nothing counts the whole list.
Used by the member lists, Approvals, the Admin center's Requests and Audit log, Discover and
who has access to an application (docs/scale.md). The pagination partial shows such a page
as Previous / Next, with a total only when the caller has a cheap one.
"""

import base64
import binascii
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property

AFTER, BEFORE = "after", "before"
MANY = 10_000  # past this, a list says "10,000+" rather than counting


def encode(values: Sequence[Any]) -> str:
    """A cursor: the order's values of one row, as URL-safe text."""
    plain = [value.isoformat() if isinstance(value, datetime) else value for value in values]
    text = json.dumps(plain, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str | None, length: int) -> list[Any] | None:
    """The values in a cursor, or None when it is missing or malformed (then: the first page).
    A tampered cursor is only another place in the list: the queryset is still the viewer's."""
    if not cursor or len(cursor) > 2000:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != length:
        return None
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        return None
    return values


def beyond(order: Sequence[str], values: Sequence[Any], *, forward: bool) -> Q:
    """Rows strictly after (forward) or before the row with these values, in this order.

    (a, b, c) > (x, y, z) written as a > x OR (a = x AND (b > y OR ...)), with a >= x in
    front so the index range starts at the cursor.
    """
    condition = Q()
    for index in reversed(range(len(order))):
        name = order[index].lstrip("-")
        ascending = not order[index].startswith("-")
        lookup = "gt" if ascending == forward else "lt"
        step = Q(**{f"{name}__{lookup}": values[index]})
        condition = (
            step if index == len(order) - 1 else step | (Q(**{name: values[index]}) & condition)
        )
    first = order[0].lstrip("-")
    bound = "gte" if (not order[0].startswith("-")) == forward else "lte"
    return Q(**{f"{first}__{bound}": values[0]}) & condition


def past(queryset: QuerySet, order: Sequence[str], values: Sequence[Any], *, forward: bool):
    """`queryset` beyond the cursor's row (`beyond`), or None when the cursor's values don't
    fit the columns (a tampered cursor: "x" for a date or an id); then show the first page."""
    try:
        return queryset.filter(beyond(order, values, forward=forward))
    except (ValidationError, ValueError, TypeError):
        return None


def _value(row: Any, path: str) -> Any:
    for part in path.lstrip("-").split("__"):
        row = row[part] if isinstance(row, dict) else getattr(row, part)
    return row


def _ids_first(queryset: QuerySet) -> Callable[[QuerySet], list]:
    """Fetch a page in one query that finds the page's ids first (without the joins and
    columns of the rows) and then reads only those rows: the database joins the page's
    rows, not every row it sorts."""

    def fetch(sliced: QuerySet) -> list:
        ids = sliced.values("pk")
        return list(queryset.filter(pk__in=ids).order_by(*sliced.query.order_by))

    return fetch


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list (the pagination partial reads it)."""

    object_list: list
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""
    total: int | None = None  # exact, when the caller knows it cheaply
    param: str = AFTER  # the query parameter of the forward cursor (before_<param> goes back)
    is_keyset: bool = field(default=True, init=False)

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def before_param(self) -> str:
        return BEFORE if self.param == AFTER else f"{BEFORE}_{self.param}"

    @property
    def total_label(self) -> str:
        if self.total is None:
            return ""
        return f"{MANY:,}+" if self.total > MANY else f"{self.total:,}"


def keyset_page(
    queryset: QuerySet,
    params,
    *,
    order: Sequence[str],
    size: int,
    param: str = AFTER,
    total: int | None = None,
) -> KeysetPage:
    """The page of `queryset` in `order` that `params` (request.GET) points at: one query
    that finds the page's ids first, then reads those rows (`_ids_first`).

    `order` names fields or annotations of the queryset and ends with a unique one (the id).
    """
    before_param = BEFORE if param == AFTER else f"{BEFORE}_{param}"
    after = decode(params.get(param), len(order))
    before = None if after is not None else decode(params.get(before_param), len(order))
    fetch = _ids_first(queryset)
    earlier = past(queryset, order, before, forward=False) if before is not None else None
    later = past(queryset, order, after, forward=True) if after is not None else None
    if earlier is not None:
        reverse = [name[1:] if name.startswith("-") else f"-{name}" for name in order]
        rows = fetch(earlier.order_by(*reverse)[: size + 1])
        has_previous = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
    else:
        after = after if later is not None else None
        rows = fetch((later if later is not None else queryset).order_by(*order)[: size + 1])
        has_next, has_previous = len(rows) > size, after is not None
        rows = rows[:size]
    page = KeysetPage(
        rows,
        has_next=has_next and bool(rows),
        has_previous=has_previous and bool(rows),
        total=total,
        param=param,
    )
    if rows:
        page.next_cursor = encode([_value(rows[-1], name) for name in order])
        page.previous_cursor = encode([_value(rows[0], name) for name in order])
    return page


class CappedPaginator(Paginator):
    """Django admin's paginator for big tables: counts up to 10,001 rows, never the whole
    table (its list then says "10001" and offers the first 10,000 rows by page; filters and
    search narrow it)."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: MANY + 1].count()
