"""Spreadsheet imports with a Groups column over the REST API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.groups import services as group_services
from accounts.models import Group
from provisioning.imports.tasks import apply_import_task
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_api_import_with_groups_and_the_removal_option(api_manager, account_manager):
    ada = PersonFactory(email="ada@example.com")
    old = group_services.create_group(
        name="Old team", by=account_manager, source=Group.Source.SPREADSHEET, member_ids=[ada.pk]
    )
    content = csv_bytes([["Email", "Member of"], ["ada@example.com", "Ops, Sales"]])
    created = api_manager.post(
        reverse("api:import-create"),
        {
            "file": SimpleUploadedFile("people.csv", content, "text/csv"),
            "remove_from_groups": "true",
        },
        format="multipart",
    )
    job_id = created.json()["id"]
    planned = api_manager.post(
        reverse("api:import-plan", kwargs={"import_id": job_id}), {}, format="json"
    ).json()
    assert planned["remove_from_groups"] is True
    assert planned["group_changes"] == [
        {
            "name": "Old team",
            "group_id": old.pk,
            "kind": "static",
            "new": False,
            "joining": 0,
            "leaving": 1,
        },
        {
            "name": "Ops",
            "group_id": None,
            "kind": "static",
            "new": True,
            "joining": 1,
            "leaving": 0,
        },
        {
            "name": "Sales",
            "group_id": None,
            "kind": "static",
            "new": True,
            "joining": 1,
            "leaving": 0,
        },
    ]
    rows = api_manager.get(reverse("api:import-rows", kwargs={"import_id": job_id})).json()
    assert rows["results"][0]["groups"] == {
        "listed": ["Ops", "Sales"],
        "join": ["Ops", "Sales"],
        "leave": ["Old team"],
    }
    api_manager.post(reverse("api:import-confirm", kwargs={"import_id": job_id}), {}, format="json")
    apply_import_task(job_id)
    assert sorted(ada.member_of.values_list("name", flat=True)) == ["Ops", "Sales"]
