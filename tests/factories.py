"""factory_boy factories that create through actions, as the product does."""

import itertools

import factory

from groups import actions
from groups.models import Group, GroupSource, GroupType
from tenants.actions import create_tenant, create_user
from tenants.actors import Actor
from tenants.models import Tenant, User

PASSWORD = "correct-horse-battery-staple"
OPERATOR = Actor.command_line("pytest")  # test setup acts as the deployment's operator
_counter = itertools.count(1)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"Tenant {n}")

    @classmethod
    def _create(cls, model_class, name, **kwargs):
        return create_tenant(
            name,
            admin_email=f"admin{next(_counter)}@{name.lower().replace(' ', '')}.test",
            admin_password=PASSWORD,
            actor=OPERATOR,
        )


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    tenant = factory.SubFactory(TenantFactory)
    role = User.Role.MEMBER
    has_premium_license = True

    @classmethod
    def _create(cls, model_class, email, tenant, display_name, role, has_premium_license, **kwargs):
        return create_user(
            email,
            tenant=tenant,
            actor=OPERATOR,
            display_name=display_name,
            role=role,
            premium=has_premium_license,
            password=PASSWORD,
        )


class GroupFactory(factory.django.DjangoModelFactory):
    """A group created in the panel by `created_by` (its owner), unless `source` says otherwise."""

    class Meta:
        model = Group

    display_name = factory.Sequence(lambda n: f"Group {n}")
    group_type = GroupType.SECURITY
    source = GroupSource.ACCESS_PANEL
    membership_policy = None
    created_by = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, created_by, **kwargs):
        return actions.create_group(actor=created_by, **kwargs)
