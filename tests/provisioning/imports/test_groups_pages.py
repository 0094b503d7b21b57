"""The Groups column on the import pages: the preview and the upload option."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.groups import services as group_services
from accounts.models import Group
from provisioning.imports.models import ImportJob
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes
from tests.provisioning.imports.admin_pages import upload, url

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_preview_page_lists_groups_and_the_rule_based_warning(admin_client, admin_user):
    PersonFactory(email="ada@example.com")
    group_services.create_group(
        name="Engineering",
        kind="rule",
        rule={"conditions": [{"attribute": "department", "value": "Engineering"}]},
        by=admin_user,
    )
    content = csv_bytes(
        [["Email", "Groups"], ["ada@example.com", "Engineering; Ops"], ["bob@example.com", "ops"]]
    )
    upload(admin_client, content)
    job = ImportJob.objects.get()
    page = admin_client.get(url("change", job.pk)).content.decode()
    assert 'id="import-groups"' in page
    assert 'data-group="Ops"' in page
    assert "Will be created (static, source Spreadsheet)" in page
    assert 'data-joining="2"' in page
    assert "Rule-based: not changed, its members come from its rule" in page
    assert "Engineering is a rule-based group; membership comes from its rule." in page
    assert "Joins</span>: Ops" in page
    assert not Group.objects.filter(name="Ops").exists()


def test_upload_page_offers_the_removal_option_off_by_default(admin_client):
    page = admin_client.get(reverse("admin:provisioning_importjob_add")).content.decode()
    assert "Also remove people from groups their row no longer lists" in page
    upload(admin_client, csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"]]))
    assert ImportJob.objects.get().remove_from_groups is False
    ImportJob.objects.all().delete()
    upload(
        admin_client,
        csv_bytes([["Email", "Groups"], ["ada@example.com", "Ops"]]),
        remove_from_groups="on",
    )
    assert ImportJob.objects.get().remove_from_groups is True
