"""The import admin and roles: who may import, see imports and previews, or nothing;
and the list of imports."""

from __future__ import annotations

import pytest

from accounts.models import Person
from provisioning.imports.models import ImportJob
from provisioning.imports.tasks import apply_import_task
from tests.factories import PersonFactory
from tests.provisioning.conftest import csv_bytes
from tests.provisioning.imports.admin_pages import (
    ADD_URL,
    HEADER,
    LIST_URL,
    PEOPLE_URL,
    post_and_plan,
    upload,
    uploaded,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


# --- roles ------------------------------------------------------------------------


def _job_by(person) -> ImportJob:
    from tests.provisioning.conftest import preview

    job, _ = preview(
        csv_bytes([HEADER, ["ada@example.com", "", "", "", ""], ["nope", "", "", "", ""]]),
        person,
    )
    return job


@pytest.mark.parametrize("role", ["admin_user", "account_manager"])
def test_administrators_and_account_managers_can_import(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(ADD_URL).status_code == 200
    assert client.get(url("template", "csv")).status_code == 200
    page = client.get(LIST_URL).content.decode()
    assert f'href="{ADD_URL}"' in page
    assert f'href="{ADD_URL}"' in client.get(PEOPLE_URL).content.decode()
    job = uploaded(client, [["ada@example.com", "Ada", "L", "", ""]])
    assert 'id="import-options"' in client.get(url("change", job.pk)).content.decode()
    assert client.post(url("confirm", job.pk), {"invite_mode": "none"}).status_code == 302


def test_auditors_see_imports_and_previews_but_cannot_upload_or_apply(
    client, admin_user, auditor, django_capture_on_commit_callbacks
):
    job = _job_by(admin_user)
    client.force_login(auditor)

    listing = client.get(LIST_URL)
    assert listing.status_code == 200
    assert "people.csv" in listing.content.decode()
    assert f'href="{ADD_URL}"' not in listing.content.decode()
    assert f'href="{ADD_URL}"' not in client.get(PEOPLE_URL).content.decode()
    page = client.get(url("change", job.pk))
    assert page.status_code == 200
    assert [r["email"] for r in page.context["rows"]] == ["nope", "ada@example.com"]
    html = page.content.decode()
    for marker in ('id="import-options"', 'id="column-mapping"', url("file", job.pk)):
        assert marker not in html
    assert client.get(url("progress", job.pk)).status_code == 200
    assert client.get(url("errors", job.pk, "csv")).status_code == 200
    assert client.get(url("export", "csv")).status_code == 200

    before = list(ImportJob.objects.values())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refused = [
            client.get(ADD_URL),
            upload(client, csv_bytes([HEADER, ["x@example.com", "", "", "", ""]])),
            client.post(url("confirm", job.pk), {"invite_mode": "none", "skip_invalid": "on"}),
            post_and_plan(client, url("columns", job.pk), {}),
            post_and_plan(client, url("replan", job.pk), {}),
            post_and_plan(client, url("sheet", job.pk), {"sheet": "People"}),
            client.get(url("file", job.pk)),
            client.get(url("template", "csv")),
        ]
    assert [r.status_code for r in refused] == [403] * 8
    assert list(ImportJob.objects.values()) == before
    assert callbacks == []
    assert Person.objects.filter(email="x@example.com").count() == 0


def test_people_without_a_role_see_nothing_of_imports(client, admin_user):
    job = _job_by(admin_user)
    client.force_login(PersonFactory(email="nobody@example.com"))
    urls = [
        LIST_URL,
        ADD_URL,
        url("change", job.pk),
        url("progress", job.pk),
        url("errors", job.pk, "csv"),
        url("file", job.pk),
        url("template", "csv"),
        url("export", "csv"),
    ]
    for target in urls:
        response = client.get(target)
        assert response.status_code == 302, target
        assert "/login/" in response["Location"]
    response = client.post(url("confirm", job.pk), {"invite_mode": "none", "skip_invalid": "on"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.confirmed_at is None


def test_imports_list_shows_who_when_file_counts_status_and_duration(admin_client):
    job = uploaded(admin_client, [["ada@example.com", "Ada", "L", "", ""]])
    admin_client.post(url("confirm", job.pk), {"invite_mode": "none"})
    apply_import_task(job.pk)
    job.refresh_from_db()

    response = admin_client.get(LIST_URL)
    html = response.content.decode()
    assert f"#{job.pk}" in html
    assert "people.csv" in html
    assert job.created_by.display_name in html
    assert "1 new, 0 updated, 0 unchanged" in html
    assert "Done" in html
    assert f"{job.duration:.1f} s" in html
    assert url("change", job.pk) in html
