"""Reading Google Workspace groups through the real API client from a local
Directory API that speaks Google's wire format."""

from __future__ import annotations

import pytest

from provisioning.idp import google_groups
from provisioning.idp.errors import DirectoryError
from tests.provisioning.idp.directory import Directory
from tests.provisioning.idp.fake_google import GROUP_SCOPE, READONLY_SCOPE


@pytest.fixture
def directory() -> Directory:
    # Big groups need more people than the sync tests' directory holds.
    return Directory.generate(500)


def gid(index: int) -> str:
    return str(10**20 + index)


def test_groups_and_members_page_200_at_a_time(google_config, fake_google):
    for n in range(205):
        fake_google.book.add(f"g{n:03d}", f"Team {n:03d}")
    fake_google.book.add("g-big", "Big", users=range(1, 451))

    groups = google_groups.list_groups(google_config)
    read = google_groups.fetch_groups(google_config, chosen={"g-big", "g007"})

    assert len(groups) == 206
    assert groups[0].name == "Big"
    assert groups[0].member_count == 450
    listed = fake_google.calls_to("/admin/directory/v1/groups")
    firsts = [c for c in listed if c[1] == "/admin/directory/v1/groups"]
    assert {c[2]["maxResults"] for c in firsts} == {"200"}
    assert firsts[0][2]["customer"] == "my_customer"
    assert "directMembersCount" in firsts[0][2]["fields"]
    assert read.groups["g-big"].members == {gid(i) for i in range(1, 451)}
    assert len(fake_google.calls_to("/groups/g-big/members")) == 3
    assert set(read.groups) == {"g-big", "g007"}


def test_member_types_users_nested_external_and_the_whole_domain(google_config, fake_google):
    fake_google.book.add(
        "g-mix",
        "Mixed",
        users={3, 4},
        nested={"g-other"},
        external={"Partner@Elsewhere.org"},
        everyone=True,
    )

    group = google_groups.fetch_groups(google_config, chosen=None).groups["g-mix"]

    assert (group.members, group.nested, group.external_emails, group.everyone) == (
        {gid(3), gid(4)},
        {"g-other"},
        {"partner@elsewhere.org"},
        True,
    )


def test_a_403_rate_limit_is_retried(google_config, fake_google):
    fake_google.book.add("g-a", "A", users={1})
    fake_google.rate_limited = 1

    read = google_groups.fetch_groups(google_config, chosen=None)

    assert read.groups["g-a"].members == {gid(1)}
    assert fake_google.rate_limited == 0


def test_missing_group_delegation_names_the_group_scope(google_config, fake_google):
    fake_google.delegated_scopes = {READONLY_SCOPE}

    with pytest.raises(DirectoryError) as caught:
        google_groups.list_groups(google_config)

    assert caught.value.reason == DirectoryError.CONSENT
    assert GROUP_SCOPE in caught.value.message
