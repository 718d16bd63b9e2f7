"""Authentication backend that loads the signed-in user with their tenant in one query."""

from django.contrib.auth.backends import ModelBackend

from tenants.models import User


class TenantUserBackend(ModelBackend):
    def get_user(self, user_id):
        user = User.objects.select_related("tenant").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
