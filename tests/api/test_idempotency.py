"""Idempotency-Key: replays, reuse with another body, concurrent duplicates, purge."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import IdempotencyKey, LifecycleEvent, Person
from accounts.tasks import purge_idempotency_keys_task
from tests.api.conftest import token_client, token_for
from tests.factories import PersonFactory

pytestmark = [pytest.mark.postgres]

CREATE = "api:person-create"


@pytest.mark.django_db
def test_a_retry_with_the_same_key_replays_the_first_answer(api_admin):
    body = {"email": "once@example.com", "first_name": "Once"}

    first = api_admin.post(reverse(CREATE), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api_admin.post(reverse(CREATE), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Person.objects.filter(email="once@example.com").count() == 1
    assert LifecycleEvent.objects.filter(action="created", subject_kind="person").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(api_admin):
    api_admin.post(
        reverse(CREATE), {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    response = api_admin.post(
        reverse(CREATE), {"email": "b@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Person.objects.filter(email="b@example.com").exists()


@pytest.mark.django_db
def test_the_same_body_in_another_key_order_is_the_same_request(api_admin):
    url = reverse(CREATE)
    api_admin.post(
        url,
        {"email": "o@example.com", "first_name": "O"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    response = api_admin.post(
        url,
        {"first_name": "O", "email": "o@example.com"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert (response.status_code, response["Idempotent-Replayed"]) == (201, "true")


@pytest.mark.django_db
def test_keys_belong_to_their_caller(api_admin, api_manager):
    api_admin.post(
        reverse(CREATE), {"email": "a@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    response = api_manager.post(
        reverse(CREATE), {"email": "a2@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 201
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_answer_is_replayed_too(api_admin):
    person = PersonFactory(status=Person.Status.DEACTIVATED)
    url = reverse("api:person-deactivate", kwargs={"person_id": person.pk})

    first = api_admin.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="d")
    second = api_admin.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="d")

    assert (first.status_code, second.status_code) == (409, 409)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " ", "x" * 256, "naïve"])
def test_an_unusable_key_is_a_bad_request(api_admin, key):
    response = api_admin.post(
        reverse(CREATE), {"email": "k@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not Person.objects.filter(email="k@example.com").exists()


@pytest.mark.django_db
def test_refused_callers_store_no_key(api_auditor):
    response = api_auditor.post(
        reverse(CREATE), {"email": "k@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 403
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_keys_older_than_a_day_are_purged(api_admin):
    api_admin.post(
        reverse(CREATE), {"email": "p@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    with time_machine.travel(timezone.now() + timedelta(hours=23)):
        api_admin.post(
            reverse(CREATE), {"email": "q@example.com"}, format="json", HTTP_IDEMPOTENCY_KEY="new"
        )

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        deleted = purge_idempotency_keys_task()

    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_is_refused_while_the_first_runs(admin_user):
    person = PersonFactory(claimed=True)
    token = token_for(admin_user)
    url = reverse("api:person-deactivate", kwargs={"person_id": person.pk})
    answers: dict[str, object] = {}

    def call(name: str) -> None:
        try:
            answers[name] = token_client(token).post(
                url, {"reason": "Left"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
        finally:
            connection.close()

    # Hold the person's row lock so the first request waits inside the service.
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person.pk)
        first = threading.Thread(target=call, args=("first",))
        first.start()
        deadline = time.monotonic() + 10
        while not IdempotencyKey.objects.filter(key="same").exists():
            assert time.monotonic() < deadline, "the first request never started"
            time.sleep(0.02)
        second = threading.Thread(target=call, args=("second",))
        second.start()
        second.join(10)
    first.join(10)
    third = token_client(token).post(
        url, {"reason": "Left"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert answers["second"].status_code == 409
    assert answers["second"].json()["error"]["code"] == "request_in_progress"
    assert answers["first"].status_code == 200
    assert (third.status_code, third["Idempotent-Replayed"]) == (200, "true")
    assert LifecycleEvent.objects.filter(person_ref=person.pk, action="deactivated").count() == 1
