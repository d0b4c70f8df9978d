"""factory_boy factories for the whole suite. Cases built here skip the services on purpose:
they set up a state to test from; tests of behaviour call the services."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import (
    Case,
    Category,
    Contact,
    Customer,
    Product,
    RootCause,
    Severity,
    Status,
    Team,
    Tier,
)
from escalation.roles import Role

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: Role | None, **kwargs: object) -> None:
        if create and extracted is not None:
            # get_or_create: transactional tests flush the groups the data migration made.
            self.groups.add(Group.objects.get_or_create(name=extracted.value)[0])
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Customer {n}")
    tier = Tier.STANDARD


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.LazyAttribute(lambda c: f"contact{c.name.split()[-1]}@customer.example")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Product {n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class RootCauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RootCause

    name = factory.Sequence(lambda n: f"Cause {n}")
    parent = None


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Checkout fails for batch {n}")
    description = "Orders stop at the payment step with error 502."
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    category = factory.SubFactory(CategoryFactory)
    severity = Severity.S3
    status = Status.NEW
    raised_by = factory.SubFactory(UserFactory)
    raised_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda c: c.raised_at)
