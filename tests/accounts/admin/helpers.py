"""URLs and form data the admin tests share."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import Person

PEOPLE_URL = reverse("admin:accounts_person_changelist")
ADD_URL = reverse("admin:accounts_person_add")
EVENTS_URL = reverse("admin:accounts_lifecycleevent_changelist")


def change_url(person: Person) -> str:
    return reverse("admin:accounts_person_change", args=[person.pk])


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "email": "",
        "external_id": "",
        "first_name": "",
        "last_name": "",
        "full_name": "",
        "manager": "",
        "job_title": "",
        "department": "",
        "location": "",
        "phone_number": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def person_data(person: Person, **overrides: str) -> dict[str, str]:
    data = form_data(
        email=person.email,
        external_id=person.external_id or "",
        first_name=person.first_name,
        last_name=person.last_name,
        full_name=person.full_name,
        manager=str(person.manager_id or ""),
        job_title=person.job_title,
        department=person.department,
        location=person.location,
        phone_number=person.phone_number,
        role=person.role,
    )
    data.update(overrides)
    return data


def result_names(response) -> list[str]:
    return [p.display_name for p in response.context["cl"].result_list]
