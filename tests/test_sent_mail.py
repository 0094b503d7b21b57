"""The admin's Sent mail page: embedded default only, System administrators only."""

from __future__ import annotations

import pytest
from django.core.mail import send_mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_to_files(settings, tmp_path):
    settings.ROSTER_MAIL_TO_FILES = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    return tmp_path / "mail"


def test_sent_mail_lists_messages_newest_first_and_shows_one(admin_client, mail_to_files):
    send_mail("First", "Hello Ada,\nyour link.", "roster@localhost", ["ada@example.com"])
    send_mail("Second", "Hello Bob.", "roster@localhost", ["bob@example.com"])

    response = admin_client.get(reverse("sent-mail"))
    assert response.status_code == 200
    html = response.content.decode()
    assert str(mail_to_files) in html
    assert html.index("Second") < html.index("First")
    assert "ada@example.com" in html and "bob@example.com" in html

    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("sent-mail")}"' in dashboard

    (file,) = [m for m in response.context["messages_sent"] if m.subject == "First"]
    page = admin_client.get(reverse("sent-mail-detail", args=[file.file, file.index]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Hello Ada,\nyour link." in body
    assert "ada@example.com" in body


def test_sent_mail_is_not_there_when_a_mail_server_is_configured(admin_client, settings):
    settings.ROSTER_MAIL_TO_FILES = False
    assert admin_client.get(reverse("sent-mail")).status_code == 404
    dashboard = admin_client.get(reverse("admin:index")).content.decode()
    assert "sent-mail-link" not in dashboard


@pytest.mark.parametrize("role", ["account_manager", "auditor"])
def test_sent_mail_is_not_there_for_other_roles(client, mail_to_files, role, request):
    send_mail("Secret link", "Claim it.", "roster@localhost", ["ada@example.com"])
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse("sent-mail"))
    assert response.status_code == 404
    assert b"Secret link" not in response.content
    (name,) = [p.stem for p in mail_to_files.iterdir()]
    assert client.get(reverse("sent-mail-detail", args=[name, 0])).status_code == 404


def test_sent_mail_refuses_paths_outside_the_mail_folder(admin_client, mail_to_files):
    send_mail("One", "Body.", "roster@localhost", ["ada@example.com"])
    assert admin_client.get("/admin/sent-mail/..%2Fsecret_key/0/").status_code == 404
