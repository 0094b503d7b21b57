"""factory-boy factories; people are built through the model, audited rows through services."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import AllowedDomain, Person
from accounts.roles import Role


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    full_name = factory.LazyAttribute(lambda p: f"{p.first_name} {p.last_name}")
    job_title = factory.Faker("job")
    department = factory.Iterator(["Engineering", "Sales", "Finance", "People"])
    location = factory.Iterator(["London", "Paris", "Berlin"])
    status = Person.Status.STAGED
    is_active = factory.LazyAttribute(lambda p: p.status == Person.Status.ACTIVE)
    password = factory.django.Password("correct horse battery staple")

    class Params:
        claimed = factory.Trait(
            status=Person.Status.ACTIVE, claimed_at=factory.LazyFunction(timezone.now)
        )
        admin = factory.Trait(
            status=Person.Status.ACTIVE,
            claimed_at=factory.LazyFunction(timezone.now),
            role=Role.ADMIN,
        )
        account_manager = factory.Trait(
            status=Person.Status.ACTIVE,
            claimed_at=factory.LazyFunction(timezone.now),
            role=Role.ACCOUNT_MANAGER,
        )
        auditor = factory.Trait(
            status=Person.Status.ACTIVE,
            claimed_at=factory.LazyFunction(timezone.now),
            role=Role.AUDITOR,
        )


class AllowedDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllowedDomain
        django_get_or_create = ("domain",)

    domain = "example.com"
    is_verified = True
