"""Roles in the import services: auditors cannot import, account managers cannot
import a complete list."""

from __future__ import annotations

import pytest

from accounts.exceptions import NotAllowed
from accounts.models import Person
from provisioning.imports import services
from provisioning.imports.models import ImportJob
from tests.provisioning.conftest import apply_now, csv_bytes, preview

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- roles -----------------------------------------------------------------------


def test_auditor_cannot_upload_preview_or_apply(auditor, admin_user):
    content = csv_bytes([["Email"], ["new@example.com"]])
    with pytest.raises(NotAllowed):
        services.start_import(content, by=auditor, filename="people.csv")
    assert ImportJob.objects.count() == 0
    job = services.start_import(content, by=admin_user, filename="people.csv")
    with pytest.raises(NotAllowed):
        services.plan_import(job, by=auditor)
    services.plan_import(job, by=admin_user)
    with pytest.raises(NotAllowed):
        services.confirm_import(job, by=auditor)
    job.refresh_from_db()
    assert job.confirmed_at is None
    assert not Person.objects.filter(email="new@example.com").exists()


def test_account_manager_imports_but_cannot_use_complete_list(account_manager):
    content = csv_bytes([["Email"], ["new@example.com"]])
    with pytest.raises(NotAllowed):
        services.start_import(
            content, by=account_manager, filename="people.csv", complete_list=True
        )
    assert ImportJob.objects.count() == 0
    job, _ = preview(content, account_manager)
    assert apply_now(job, account_manager).status == "done"
