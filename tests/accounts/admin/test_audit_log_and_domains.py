"""The audit log (read-only) and allowed domains (through the services)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AllowedDomain, LifecycleEvent
from tests.accounts.admin.helpers import (
    EVENTS_URL,
    change_url,
)

pytestmark = pytest.mark.django_db


def test_audit_log_lists_events_with_subject_links_and_filters(admin_client, admin_user):
    ann = services.create_person(email="ann@example.com", full_name="Ann", by=admin_user)
    services.update_person(ann, department="Sales", by=admin_user)
    response = admin_client.get(EVENTS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="{change_url(ann)}">Ann</a>' in html
    assert "department: — → Sales" in html
    only_updates = admin_client.get(EVENTS_URL, {"action__exact": "updated"})
    assert [e.action for e in only_updates.context["cl"].result_list] == ["updated"]
    search = admin_client.get(EVENTS_URL, {"q": "Ann"})
    assert len(search.context["cl"].result_list) == 2


def test_audit_log_refuses_every_write_even_for_administrators(admin_client, admin_user):
    event = services.create_person(email="ann@example.com", by=admin_user).events.get()
    event_url = reverse("admin:accounts_lifecycleevent_change", args=[event.pk])
    assert admin_client.get(event_url).status_code == 200
    assert admin_client.post(event_url, {"subject": "x"}).status_code == 403
    assert admin_client.get(reverse("admin:accounts_lifecycleevent_add")).status_code == 403
    delete_url = reverse("admin:accounts_lifecycleevent_delete", args=[event.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.subject == "ann@example.com"


def test_allowed_domains_are_added_and_removed_through_the_services(admin_client, admin_user):
    add_url = reverse("admin:accounts_alloweddomain_add")
    response = admin_client.post(add_url, {"domain": "@Example.ORG", "_save": "Save"})
    assert response.status_code == 302
    domain = AllowedDomain.objects.get()
    assert domain.domain == "example.org"
    response = admin_client.post(add_url, {"domain": "example.org", "_save": "Save"})
    assert response.context["adminform"].form.errors == {
        "domain": ["example.org is already allowed."]
    }
    delete_url = reverse("admin:accounts_alloweddomain_delete", args=[domain.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not AllowedDomain.objects.exists()
    assert list(
        LifecycleEvent.objects.filter(subject="example.org").values_list("action", flat=True)
    ) == ["domain_removed", "domain_added"]
