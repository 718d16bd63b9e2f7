"""django-allauth adapters: people come from the directory, nobody signs themselves up."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class DirectoryAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """Accounts are created by global admins, the CLI, the API or SCIM, never by sign-up."""
        return False


class DirectorySocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        """SSO signs in existing directory users (matched by verified email); it creates none."""
        return False


class SignInForm(LoginForm):
    """allauth's sign-in form, in the product's words ("Remember me", not "Remember Me")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = "Remember me"
