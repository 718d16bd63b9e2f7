from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    """Applications and sites: access through groups. Stands on groups and tenants."""

    name = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        from applications import access, sections
        from groups import extensions

        access.subscribe()
        extensions.add_my_groups_section(sections.my_apps)
        extensions.add_group_page_section(sections.gives_access_to)
