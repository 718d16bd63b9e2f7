"""Sections that apps above groups add to the panel's pages (My groups, the group page).

groups can't import those apps (layers point down), so they register a function here in their
AppConfig.ready(); the page calls each and includes the sections it returns. The applications
app adds "My apps" to My groups and "Gives access to" to the group page this way.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from groups.models import Group


@dataclass(frozen=True)
class Section:
    """A template to include, and what it shows (`section.data` in the template)."""

    template: str
    data: dict[str, Any] = field(default_factory=dict)


MyGroupsSection = Callable[[HttpRequest], Section | None]
GroupPageSection = Callable[[HttpRequest, Group, dict], Section | None]

_my_groups: list[MyGroupsSection] = []
_group_page: list[GroupPageSection] = []


def add_my_groups_section(section: MyGroupsSection) -> MyGroupsSection:
    if section not in _my_groups:
        _my_groups.append(section)
    return section


def add_group_page_section(section: GroupPageSection) -> GroupPageSection:
    if section not in _group_page:
        _group_page.append(section)
    return section


def my_groups_sections(request: HttpRequest) -> list[Section]:
    return [found for make in _my_groups if (found := make(request)) is not None]


def group_page_sections(request: HttpRequest, group: Group, can: dict) -> list[Section]:
    return [found for make in _group_page if (found := make(request, group, can)) is not None]
