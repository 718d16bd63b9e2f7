"""Sign-in: every page needs it (except allauth's), and failed logins are rate-limited."""

import pytest
from django.urls import reverse

from tests.factories import OPERATOR, PASSWORD

PAGES = [
    "/",
    "/groups/",
    "/groups/new/",
    "/groups/1/",
    "/groups/1/edit/",
    "/groups/1/members/add/",
    "/groups/1/members.csv",
    "/approvals/",
    "/people/search/?q=ad",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_anonymous_access_redirects_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_anonymous_admin_goes_to_admin_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_sign_in_page_is_public(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert b"Sign in" in response.content


@pytest.mark.django_db
def test_sign_in_with_email_and_password(client, member):
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_sign_up_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert b"No sign-up here" in response.content


@pytest.mark.django_db
def test_wrong_password_is_rate_limited(client, member):
    # Default: 5 failed attempts per account in 5 minutes (ACCOUNT_RATE_LIMITS["login_failed"]).
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": member.email, "password": "wrong"}
        )
        assert response.status_code == 200
        assert b"not correct" in response.content
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_sends_an_email(client, member, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert member.email in mailoutbox[0].to


@pytest.mark.django_db
def test_sign_out(client, member):
    client.force_login(member)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_inactive_user_cant_sign_in(client, member):
    from tenants.actions import update_user

    update_user(member, actor=OPERATOR, is_active=False)
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(client, member):
    client.force_login(member)
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def _fail_logins(client, count: int, **headers) -> None:
    """`count` failed sign-ins with different accounts (so only the per-address limit counts)."""
    for n in range(count):
        client.post(
            reverse("account_login"),
            {"login": f"nobody{n}@contoso.test", "password": "wrong"},
            **headers,
        )


def _is_limited(client, member, **headers) -> bool:
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}, **headers
    )
    return b"Too many failed login attempts" in response.content


@pytest.mark.django_db
def test_behind_a_proxy_without_the_setting_everyone_shares_one_limit(client, member):
    """Why the setting exists: every request comes from the proxy's address."""
    _fail_logins(client, 10, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert _is_limited(client, member, HTTP_X_FORWARDED_FOR="198.51.100.20")


@pytest.mark.django_db
def test_trusted_proxy_count_limits_each_client_by_its_forwarded_address(client, member, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1  # TRUSTED_PROXY_COUNT=1: one proxy of ours
    _fail_logins(client, 10, HTTP_X_FORWARDED_FOR="203.0.113.7")
    # A client can't escape by prepending its own entry: the proxy appends the real address.
    assert _is_limited(client, member, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert not _is_limited(client, member, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert client.session["_auth_user_id"] == str(member.pk)


@pytest.mark.django_db
def test_a_trusted_client_ip_header_is_used_instead(client, member, settings):
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    _fail_logins(client, 10, HTTP_X_REAL_IP="203.0.113.7")
    assert _is_limited(client, member, HTTP_X_REAL_IP="203.0.113.7")
    assert not _is_limited(client, member, HTTP_X_REAL_IP="198.51.100.20")


@pytest.mark.django_db
def test_sign_in_says_remember_me_in_the_products_capitals(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "Remember me" in html and "Remember Me" not in html
    assert reverse("account_reset_password") in html  # Forgot your password?


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/password/reset/", "Reset your password"),
        ("/accounts/password/reset/done/", "Check your email"),
        ("/accounts/password/reset/key/1-set-password/", "This link doesn"),
        ("/accounts/password/reset/key/done/", "Password changed"),
        ("/accounts/inactive/", "This account is deactivated"),
        ("/accounts/signup/", "No sign-up here"),
    ],
)
def test_account_pages_are_the_products_with_a_way_back_to_sign_in(client, path, heading):
    response = client.get(path, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert heading in html
    assert "auth-card" in html and 'class="h3 mb-1"' in html  # the sign-in page's card
    assert f'href="{reverse("account_login")}">Back to sign in' in html


@pytest.mark.django_db
def test_a_deactivated_person_signing_in_sees_the_products_page(client, member):
    from tenants.actions import update_user

    update_user(member, actor=OPERATOR, is_active=False)
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}, follow=True
    )
    html = response.content.decode()
    assert "auth-card" in html
    assert "This account is deactivated" in html or "not correct" in html
