"""HTTP behaviour every page shares: private caching and HEAD."""

import pytest

from groups.models import JoinRequest
from tests.admincenter.test_views import ADMIN_CENTER_PAGES


def _pages(group, tenant_admin) -> list[str]:
    return [
        "/",
        "/groups/",
        "/groups/new/",
        f"/groups/{group.pk}/",
        f"/groups/{group.pk}/edit/",
        f"/groups/{group.pk}/members/add/",
        f"/groups/{group.pk}/members.csv",
        "/approvals/",
        "/people/search/?q=ri",
        "/api-tokens/",
        *ADMIN_CENTER_PAGES,
        "/admin/",
        "/admin/groups/group/",
    ]


@pytest.mark.django_db
def test_pages_and_exports_for_a_signed_in_person_are_private_and_not_stored(
    client, tenant_admin, group
):
    client.force_login(tenant_admin)
    for url in _pages(group, tenant_admin):
        response = client.get(url)
        assert response.status_code == 200, url
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, (url, response["Cache-Control"])


@pytest.mark.django_db
def test_head_is_answered_wherever_get_is(client, tenant_admin, group):
    client.force_login(tenant_admin)
    for url in _pages(group, tenant_admin):
        assert client.head(url).status_code == 200, url
    join_request = JoinRequest.objects.filter(group=group).first()
    assert client.head(f"/requests/{join_request.pk}/approve/").status_code == 405  # POST only
