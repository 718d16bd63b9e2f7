"""SCIM filters (RFC 7644 §3.4.2.2) into Django `Q` objects, never SQL strings.

scim2-filter-parser turns the filter into a tree; this module walks it with a map of the
attributes each resource can be filtered on. Anything else (an unknown attribute, an operator
the attribute can't take, a malformed filter) is an `invalidFilter` error.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from scim2_filter_parser import ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser


class InvalidFilter(ValueError):
    """The filter can't be applied: the message says why (answered as 400 invalidFilter)."""


@dataclass(frozen=True)
class Attribute:
    """How one SCIM attribute is filtered: the ORM lookup path and its kind of value."""

    path: str
    kind: str = "text"  # text, exact (case-sensitive text), bool, id, datetime
    also: str = ""  # a second ORM path OR-ed in (group members: people or nested groups)
    unless_set: str = ""  # compared instead while `path` is empty (userName: else the email)


USER_ATTRIBUTES = {
    "username": Attribute("scim_user_name", unless_set="email"),
    "emails.value": Attribute("email"),
    "emails": Attribute("email"),
    "displayname": Attribute("display_name"),
    "name.formatted": Attribute("display_name"),
    "externalid": Attribute("external_id", "exact"),
    "id": Attribute("pk", "id"),
    "active": Attribute("is_active", "bool"),
    "meta.created": Attribute("date_joined", "datetime"),
    "meta.lastmodified": Attribute("date_joined", "datetime"),
}
GROUP_ATTRIBUTES = {
    "displayname": Attribute("display_name"),
    "externalid": Attribute("external_id", "exact"),
    "id": Attribute("pk", "id"),
    "members.value": Attribute("memberships__user_id", "id", also="nested_children__child_id"),
    "members": Attribute("memberships__user_id", "id", also="nested_children__child_id"),
    "meta.created": Attribute("created_at", "datetime"),
    "meta.lastmodified": Attribute("updated_at", "datetime"),
}

TEXT_LOOKUPS = {"eq": "iexact", "co": "icontains", "sw": "istartswith", "ew": "iendswith"}
EXACT_LOOKUPS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}
ORDER_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def to_q(text: str, attributes: dict[str, Attribute]) -> Q:
    """The filter as a Q over the resource's model."""
    if len(text) > 2000 or "\x00" in text:
        raise InvalidFilter("The filter is too long or holds a NUL character.")
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as error:  # the parser's own errors are plain exceptions
        raise InvalidFilter(f"The filter can't be read: {text!r}.") from error
    if tree is None:
        raise InvalidFilter(f"The filter can't be read: {text!r}.")
    return _Walker(attributes).filter(tree, prefix="")


class _Walker:
    def __init__(self, attributes: dict[str, Attribute]) -> None:
        self.attributes = attributes

    def filter(self, node, *, prefix: str) -> Q:
        if isinstance(node, ast.Filter):
            scope = prefix
            if node.namespace is not None:  # emails[type eq "work"] → attributes of emails
                scope = f"{node.namespace.attr_name.lower()}."
            found = self.filter(node.expr, prefix=scope)
            return ~found if node.negated else found
        if isinstance(node, ast.LogExpr):
            left = self.filter(node.expr1, prefix=prefix)
            right = self.filter(node.expr2, prefix=prefix)
            return left & right if node.op.lower() == "and" else left | right
        if isinstance(node, ast.AttrExpr):
            return self.comparison(node, prefix)
        raise InvalidFilter("This filter isn't supported.")

    def comparison(self, node: ast.AttrExpr, prefix: str) -> Q:
        path = node.attr_path
        name = path.attr_name.lower()
        if path.uri:  # urn:ietf:params:scim:schemas:core:2.0:User:userName
            name = path.attr_name.rsplit(":", 1)[-1].lower()
        if path.sub_attr is not None:
            name = f"{name}.{path.sub_attr.value.lower()}"
        name = f"{prefix}{name}"
        if prefix and name.endswith(".type"):
            return self.address_type(node)
        attribute = self.attributes.get(name)
        if attribute is None:
            raise InvalidFilter(f"Filtering on {name!r} isn't supported.")
        operator = node.value.lower()
        if operator == "pr":
            if attribute.unless_set:
                return Q()  # a person always has a userName
            present = Q(**{f"{attribute.path}__isnull": False})
            if attribute.kind in ("text", "exact"):
                present &= ~Q(**{attribute.path: ""})
            return present
        value = self.value(attribute, node.comp_value.value if node.comp_value else None)
        lookup = self.lookup(attribute, operator)
        found = Q(**{f"{attribute.path}__{lookup}": value})
        if attribute.also:
            found |= Q(**{f"{attribute.also}__{lookup}": value})
        if attribute.unless_set:
            found = (~Q(**{attribute.path: ""}) & found) | Q(
                **{attribute.path: "", f"{attribute.unless_set}__{lookup}": value}
            )
        return ~found if operator == "ne" else found

    @staticmethod
    def address_type(node: ast.AttrExpr) -> Q:
        """emails[type …]: a person's one address is of type "work" (docs/scim.md), so
        `type eq "work"` matches everyone and `type eq "home"` no one."""
        operator = node.value.lower()
        if operator == "pr":
            return Q()
        raw = node.comp_value.value if node.comp_value else None
        if not isinstance(raw, str):
            raise InvalidFilter('An address type is compared with text, such as "work".')
        tests = {
            "eq": raw.lower() == "work",
            "ne": raw.lower() != "work",
            "co": raw.lower() in "work",
            "sw": "work".startswith(raw.lower()),
            "ew": "work".endswith(raw.lower()),
        }
        if operator not in tests:
            raise InvalidFilter(f"An address type can't be compared with {operator!r}.")
        return Q() if tests[operator] else Q(pk__in=[])

    @staticmethod
    def lookup(attribute: Attribute, operator: str) -> str:
        if operator in ("eq", "ne"):
            return {"text": "iexact"}.get(attribute.kind, "exact")
        if operator in ORDER_LOOKUPS and attribute.kind in ("datetime", "text", "exact"):
            return ORDER_LOOKUPS[operator]
        table = TEXT_LOOKUPS if attribute.kind == "text" else EXACT_LOOKUPS
        if operator in table and attribute.kind in ("text", "exact"):
            return table[operator]
        raise InvalidFilter(f"The operator {operator!r} can't be used on this attribute.")

    @staticmethod
    def value(attribute: Attribute, raw: str | None):
        if raw is None:
            raise InvalidFilter("A comparison needs a value.")
        converters: dict[str, Callable] = {
            "bool": _boolean,
            "id": _identifier,
            "datetime": _moment,
        }
        return converters.get(attribute.kind, str)(raw)


def _boolean(raw: str) -> bool:
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise InvalidFilter(f"{raw!r} isn't true or false.")


def _identifier(raw: str) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) < 19:
        return int(raw)
    return -1  # no row has it: the filter matches nothing


def _moment(raw: str):
    moment = parse_datetime(raw)
    if moment is None:
        raise InvalidFilter(f"{raw!r} isn't a date and time.")
    return moment
