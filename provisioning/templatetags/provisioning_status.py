"""`{% provisioning_status application as provisioning %}`: an application's provisioning at
a glance, for pages of the apps above (the Admin center's application page)."""

from django import template

from provisioning.selectors import status_of

register = template.Library()


@register.simple_tag
def provisioning_status(application) -> dict:
    return status_of(application)
