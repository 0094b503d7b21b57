"""A page the role does not cover answers 403 inside the admin, with what to do instead."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.scim.models import ScimTarget

pytestmark = pytest.mark.django_db


def test_account_manager_refused_scim_targets_gets_admin_page_with_permitted_links(
    client, account_manager
):
    client.force_login(account_manager)
    response = client.get(reverse("admin:provisioning_scimtarget_add"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "403 Forbidden" not in html
    assert 'id="permission-denied"' in html
    assert "Your role, <strong>Account manager</strong>, does not cover this page" in html
    assert f'href="{reverse("admin:accounts_person_changelist")}"' in html
    assert f'href="{reverse("admin:provisioning_importjob_changelist")}"' in html
    # The admin's own layout (unfold's sidebar and user menu) surrounds it.
    assert "Change password" in html
    assert f'href="{reverse("admin:provisioning_scimtarget_changelist")}"' not in html
    assert not ScimTarget.objects.exists()


def test_auditor_refused_an_add_form_gets_admin_page_with_permitted_links(client, auditor):
    client.force_login(auditor)
    response = client.get(reverse("admin:accounts_person_add"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "403 Forbidden" not in html
    assert "Your role, <strong>Auditor</strong>, does not cover this page" in html
    assert f'href="{reverse("admin:accounts_person_changelist")}"' in html
    assert f'href="{reverse("admin:accounts_lifecycleevent_changelist")}"' in html
    assert "Change password" in html
