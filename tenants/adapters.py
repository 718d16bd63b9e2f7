"""django-allauth adapters: people come from the directory, nobody signs themselves up."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class DirectoryAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Accounts are created by global admins, the CLI, the API or SCIM, never by sign-up."""
        return False


class DirectorySocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """SSO signs in existing directory users (matched by verified email); it creates none."""
        return False
