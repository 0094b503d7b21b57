"""Outbound SCIM sends the userName an identity provider gave, and the email in emails."""

from __future__ import annotations

from provisioning.scim import mapping


def _state(**values):
    base = {"id": 7, "email": "john.doe@example.com", "user_name": None}
    base.update(values)
    return mapping.desired_state(
        base, mapping=mapping.effective_mapping(None), manager_remote_id=None, active=True
    )


def test_a_person_with_a_username_of_their_own_is_pushed_with_it():
    state = _state(user_name="jdoe@corp.onmicrosoft.com")

    assert state["userName"] == "jdoe@corp.onmicrosoft.com"
    assert state["emails"] == "john.doe@example.com"


def test_a_person_without_one_is_pushed_with_the_email_as_username():
    state = _state()

    assert (state["userName"], state["emails"]) == ("john.doe@example.com",) * 2
