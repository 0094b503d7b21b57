"""Who may change whom: only System administrators change people who hold a staff
role, on every write path; imports, identity providers and SCIM clients skip staff
with the reason; refusals change nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import api_tokens, services
from accounts.actors import CLI
from accounts.exceptions import StaffProtected
from accounts.models import ApiToken, LifecycleEvent, Person
from accounts.roles import Role
from accounts.tasks import notify_email_changed_task
from provisioning.reconcile import Action
from tests.api.conftest import token_client, token_for
from tests.conftest import PASSWORD
from tests.factories import PersonFactory
from tests.provisioning.conftest import apply_now, csv_bytes, preview
from tests.provisioning.scim_server.conftest import issued, patch_op, scim  # noqa: F401

# ``scim`` and ``issued`` are the SCIM server tests' fixtures, used here too.

pytestmark = pytest.mark.django_db

TARGET_ROLES = [Role.ADMIN, Role.ACCOUNT_MANAGER, Role.AUDITOR, Role.NONE]
HEADER = ["Email", "First name", "Last name", "Job title"]


def target(role: str, **extra) -> Person:
    """An active person with ``role``, or a plain person for Role.NONE."""
    traits = {Role.ADMIN: "admin", Role.ACCOUNT_MANAGER: "account_manager", Role.AUDITOR: "auditor"}
    if role == Role.NONE:
        return PersonFactory(claimed=True, job_title="Engineer", **extra)
    return PersonFactory(**{traits[role]: True}, job_title="Engineer", **extra)


def snapshot(person: Person) -> tuple:
    person.refresh_from_db()
    return (person.email, person.job_title, person.status, person.version, person.password)


def may(actor_role: str, target_role: str) -> bool:
    return actor_role == Role.ADMIN or target_role == Role.NONE


# --- services: the rule itself ---------------------------------------------


@pytest.mark.parametrize("target_role", TARGET_ROLES)
@pytest.mark.parametrize("actor", ["admin_user", "account_manager"])
@pytest.mark.parametrize("operation", ["email", "profile", "deactivate", "password"])
def test_services_let_only_system_administrators_change_staff(
    request, actor, target_role, operation, mailoutbox, django_capture_on_commit_callbacks
):
    by = request.getfixturevalue(actor)
    person = target(target_role)
    before = snapshot(person)
    events = LifecycleEvent.objects.count()
    run = {
        "email": lambda: services.update_person(person, by=by, email="attacker@example.com"),
        "profile": lambda: services.update_person(person, by=by, job_title="Owner"),
        "deactivate": lambda: services.deactivate_person(person, by=by),
        "password": lambda: services.set_password(person, password="x" * 20, by=by),
    }[operation]

    if may(by.role, target_role):
        run()
        assert snapshot(person) != before
    else:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(StaffProtected, match="only a System administrator"),
        ):
            run()
        assert snapshot(person) == before
        assert LifecycleEvent.objects.count() == events
        assert callbacks == [] and mailoutbox == []


@pytest.mark.parametrize("target_role", [Role.ADMIN, Role.AUDITOR])
def test_account_managers_cannot_reactivate_or_delete_staff(account_manager, target_role):
    deactivated = target(target_role, status=Person.Status.DEACTIVATED, is_active=False)
    staged = target(target_role, status=Person.Status.STAGED, is_active=False, claimed_at=None)

    with pytest.raises(StaffProtected):
        services.reactivate_person(deactivated, by=account_manager)
    with pytest.raises(StaffProtected):
        services.delete_person(staged, by=account_manager)
    assert Person.objects.get(pk=deactivated.pk).status == Person.Status.DEACTIVATED
    assert Person.objects.filter(pk=staged.pk).exists()


def test_staff_may_change_their_own_profile(account_manager):
    services.update_person(account_manager, by=account_manager, job_title="HR lead")

    assert Person.objects.get(pk=account_manager.pk).job_title == "HR lead"


# --- admin: change form and bulk actions ------------------------------------


def test_an_account_managers_admin_page_of_an_administrator_is_read_only(
    client, account_manager, admin_user
):
    client.force_login(account_manager)
    url = reverse("admin:accounts_person_change", args=[admin_user.pk])
    before = snapshot(admin_user)

    page = client.get(url)
    posted = client.post(
        url,
        {"email": "attacker@example.com", "first_name": "Alex", "last_name": "Admin", "_save": "1"},
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="email"' not in html and "only a System administrator" in html
    assert posted.status_code == 403
    assert snapshot(admin_user) == before


def test_bulk_deactivation_by_an_account_manager_skips_staff_with_the_reason(
    client, account_manager, admin_user
):
    plain = target(Role.NONE)
    client.force_login(account_manager)

    response = client.post(
        reverse("admin:accounts_person_changelist"),
        {
            "action": "deactivate_selected",
            "_selected_action": [str(admin_user.pk), str(plain.pk)],
            "confirm": "yes",
        },
        follow=True,
    )

    admin_user.refresh_from_db()
    plain.refresh_from_db()
    assert (admin_user.status, plain.status) == ("active", "deactivated")
    notes = [str(m) for m in response.context["messages"]]
    assert "Deactivated 1 person." in notes
    assert any("Skipped 1 person" in n and "only a System administrator" in n for n in notes)


# --- REST API ---------------------------------------------------------------


@pytest.mark.parametrize("target_role", TARGET_ROLES)
def test_api_update_and_deactivate_follow_the_rule(account_manager, target_role):
    api = token_client(token_for(account_manager))
    person = target(target_role)
    before = snapshot(person)

    update = api.post(
        reverse("api:person-update", args=[person.pk]),
        {"email": "attacker@example.com"},
        format="json",
    )
    deactivate = api.post(reverse("api:person-deactivate", args=[person.pk]), {}, format="json")

    if target_role == Role.NONE:
        assert (update.status_code, deactivate.status_code) == (200, 200)
        assert snapshot(person)[:3] == ("attacker@example.com", "Engineer", "deactivated")
    else:
        assert (update.status_code, deactivate.status_code) == (403, 403)
        assert "only a System administrator" in update.json()["error"]["message"]
        assert snapshot(person) == before


# --- SCIM server --------------------------------------------------------------


@pytest.mark.parametrize("target_role", TARGET_ROLES)
def test_scim_clients_never_change_or_deactivate_staff(scim, target_role):  # noqa: F811
    person = target(target_role)
    before = snapshot(person)

    renamed = scim.patch(
        f"Users/{person.pk}",
        patch_op(
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": "attacker@example.com",
            }
        ),
    )
    disabled = scim.patch(
        f"Users/{person.pk}", patch_op({"op": "replace", "value": {"active": False}})
    )
    deleted = scim.delete(f"Users/{person.pk}")

    if target_role == Role.NONE:
        assert renamed.status_code == 200 and deleted.status_code == 204
        assert snapshot(person)[:3] == ("attacker@example.com", "Engineer", "deactivated")
    else:
        assert [renamed.status_code, disabled.status_code, deleted.status_code] == [403] * 3
        assert "SCIM client" in renamed.json()["detail"]
        assert snapshot(person) == before


# --- spreadsheet imports ------------------------------------------------------


def test_imports_skip_rows_that_would_change_staff_and_say_why(admin_user, account_manager):
    plain = target(Role.NONE, email="pat@example.com")
    rows = [
        HEADER,
        [account_manager.email, "Morgan", "Manager", "Owner"],
        [plain.email, plain.first_name, plain.last_name, "Lead"],
    ]
    before = snapshot(account_manager)

    job, plan = preview(csv_bytes(rows), admin_user)

    skipped = plan.by_action(Action.SKIPPED)
    assert [r.email for r in skipped] == [account_manager.email]
    assert "holds the Account manager role" in skipped[0].reason
    assert (job.counts["skipped"], job.counts["updated"]) == (1, 1)
    apply_now(job, admin_user)
    assert snapshot(account_manager) == before
    assert Person.objects.get(pk=plain.pk).job_title == "Lead"


def test_a_complete_list_never_deactivates_staff_missing_from_it(admin_user):
    auditor = target(Role.AUDITOR, source=Person.Source.SPREADSHEET)
    leaver = target(Role.NONE, source=Person.Source.SPREADSHEET)
    stays = target(Role.NONE, source=Person.Source.SPREADSHEET)
    rows = [HEADER, [stays.email, stays.first_name, stays.last_name, stays.job_title]]

    job, plan = preview(csv_bytes(rows), admin_user, complete_list=True)

    assert {(r.email, r.action) for r in plan.rows if r.row is None} == {
        (auditor.email, Action.SKIPPED),
        (leaver.email, Action.DEACTIVATE),
    }
    apply_now(job, admin_user, confirm_text=job.confirmation_phrase)
    assert Person.objects.get(pk=auditor.pk).status == "active"
    assert Person.objects.get(pk=leaver.pk).status == "deactivated"


def notices_queued(callbacks) -> list[tuple]:
    return [
        c.args for c in callbacks if getattr(c, "func", None) == notify_email_changed_task.delay
    ]


def test_an_import_email_change_notifies_the_old_address(
    admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    person = target(Role.NONE, email="old@example.com", external_id="E1")
    rows = [["Email", "Employee ID"], ["new@example.com", "E1"]]
    job, _ = preview(csv_bytes(rows), admin_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apply_now(job, admin_user)

    assert Person.objects.get(pk=person.pk).email == "new@example.com"
    assert notices_queued(callbacks) == [(person.pk, "old@example.com", "new@example.com")]


# --- command line ---------------------------------------------------------------


def test_command_as_an_account_manager_cannot_deactivate_an_administrator(
    account_manager, admin_user
):
    out, err = StringIO(), StringIO()
    before = snapshot(admin_user)

    call_command(
        "deactivate_person", admin_user.email, "--as", account_manager.email, stdout=out, stderr=err
    )

    assert "Deactivated 0, skipped 1." in out.getvalue()
    assert "only a System administrator" in out.getvalue() + err.getvalue()
    assert snapshot(admin_user) == before


# --- email changes and API tokens --------------------------------------------------


def test_changing_an_email_tells_the_old_address(
    admin_user, mailoutbox, django_capture_on_commit_callbacks
):
    person = target(Role.NONE, email="old@example.com")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.update_person(person, by=admin_user, email="new@example.com")
    (queued,) = notices_queued(callbacks)
    assert notify_email_changed_task(*queued) is True

    assert [m.to for m in mailoutbox] == [["old@example.com"]]
    assert "changed from\nold@example.com to new@example.com" in mailoutbox[0].body


def test_deactivation_revokes_api_tokens_and_reactivation_does_not_revive_them(admin_user):
    manager = target(Role.ACCOUNT_MANAGER)
    token = token_for(manager)
    api = token_client(token)
    assert api.get(reverse("api:person-list")).status_code == 200

    services.deactivate_person(manager, by=admin_user)
    services.reactivate_person(manager, by=admin_user)

    assert ApiToken.objects.get(person=manager).revoked_at is not None
    assert api_tokens.authenticate_token(token) is None
    assert token_client(token).get(reverse("api:person-list")).status_code == 401
    event = LifecycleEvent.objects.get(person=manager, action="deactivated")
    assert event.changes["api_tokens"] == ["1 active", "revoked"]


def test_a_deactivated_person_can_still_sign_in_after_reactivation_with_their_password(
    client, admin_user
):
    # Revoking tokens must not touch the password: reactivated staff sign in again.
    manager = target(Role.ACCOUNT_MANAGER, email="am@example.com")
    manager.set_password(PASSWORD)
    manager.save(update_fields=["password"])
    services.deactivate_person(manager, by=admin_user)
    services.reactivate_person(manager, by=admin_user)

    assert client.login(email="am@example.com", password=PASSWORD)


def test_cli_without_as_acts_for_the_operator_and_may_change_staff(admin_user):
    services.update_person(admin_user, by=CLI, job_title="Owner")

    assert Person.objects.get(pk=admin_user.pk).job_title == "Owner"
