"""Reading Entra ID groups from a local Graph that speaks Microsoft's wire format."""

from __future__ import annotations

import pytest

from provisioning.idp import entra, entra_groups
from provisioning.idp.errors import DeltaExpired, DirectoryError
from tests.provisioning.idp.directory import Directory


@pytest.fixture
def directory() -> Directory:
    # Big groups need more people than the sync tests' directory holds.
    return Directory.generate(500)


def uid(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


@pytest.fixture
def client(entra_config):
    waits: list[float] = []
    with entra.GraphClient(entra_config, sleep=waits.append) as graph:
        graph.waits = waits  # type: ignore[attr-defined]
        yield graph


def test_full_read_pages_members_keeps_users_and_counts_nested_and_devices(
    entra_config, fake_graph, client
):
    fake_graph.book.add("g-eng", "Engineering", users=range(1, 8), nested={"g-ops"}, devices=2)
    fake_graph.book.add("g-ops", "Operations", users={9})
    fake_graph.group_api.members_page_max = 3

    read = entra_groups.fetch_groups(entra_config, chosen=None, client=client)

    eng = read.groups["g-eng"]
    assert (eng.name, eng.members, eng.nested, eng.others) == (
        "Engineering",
        {uid(i) for i in range(1, 8)},
        {"g-ops"},
        2,
    )
    assert read.groups["g-ops"].members == {uid(9)}
    # 10 members of g-eng, 3 a page: 4 pages, each after the first from nextLink.
    pages = fake_graph.calls_to("/v1.0/groups/g-eng/members")
    assert len(pages) == 4
    assert "$skiptoken" in pages[-1][2]
    listing = fake_graph.calls_to("/v1.0/groups")
    assert next(c for c in listing if c[1] == "/v1.0/groups")[2]["$select"] == (
        "id,displayName,description,mailNickname,groupTypes,securityEnabled,mailEnabled"
    )
    assert read.delta_link.startswith(f"{fake_graph.base_url}/v1.0/groups/delta?")


def test_only_chosen_groups_have_their_members_read(entra_config, fake_graph, client):
    fake_graph.book.add("g-a", "A", users={1})
    fake_graph.book.add("g-b", "B", users={2})

    read = entra_groups.fetch_groups(entra_config, chosen={"g-b"}, client=client)

    assert list(read.groups) == ["g-b"]
    assert fake_graph.calls_to("/v1.0/groups/g-a/members") == []


def test_delta_applies_member_adds_removals_renames_and_deleted_groups(
    entra_config, fake_graph, client
):
    fake_graph.book.add("g-a", "A", users={1, 2})
    fake_graph.book.add("g-b", "B", users={3})
    fake_graph.book.add("g-c", "C", users={4})
    first = entra_groups.fetch_groups(entra_config, chosen=None, client=client)
    fake_graph.book.join("g-a", 5)
    fake_graph.book.leave("g-a", 1)
    fake_graph.book.rename("g-b", "B renamed")
    fake_graph.book.delete("g-c")
    fake_graph.book.add("g-d", "D", users={6})

    read = entra_groups.fetch_group_changes(
        entra_config, first.delta_link, first.groups, chosen=None, client=client
    )

    assert {k: (g.name, g.members) for k, g in read.groups.items()} == {
        "g-a": ("A", {uid(2), uid(5)}),
        "g-b": ("B renamed", {uid(3)}),
        "g-d": ("D", {uid(6)}),
    }
    # Four changed groups, two a page: the round spans pages before its deltaLink.
    delta_calls = fake_graph.calls_to("/v1.0/groups/delta")
    assert [c[2].get("$skiptoken") for c in delta_calls[1:]] == [None, "7:2"]
    assert read.delta_link != first.delta_link
    # The previous read is left as it was.
    assert first.groups["g-a"].members == {uid(1), uid(2)}


def test_delta_with_no_change_changes_nothing(entra_config, fake_graph, client):
    fake_graph.book.add("g-a", "A", users={1, 2})
    first = entra_groups.fetch_groups(entra_config, chosen=None, client=client)

    read = entra_groups.fetch_group_changes(
        entra_config, first.delta_link, first.groups, chosen=None, client=client
    )

    assert {k: g.to_json() for k, g in read.groups.items()} == {
        k: g.to_json() for k, g in first.groups.items()
    }


def test_a_big_group_spread_over_delta_pages_is_merged(entra_config, fake_graph, client):
    first = entra_groups.fetch_groups(entra_config, chosen=None, client=client)
    fake_graph.book.add("g-big", "Big", users=range(100, 230))

    read = entra_groups.fetch_group_changes(
        entra_config, first.delta_link, first.groups, chosen=None, client=client
    )

    assert read.groups["g-big"].members == {uid(i) for i in range(100, 230)}


def test_throttled_group_reads_wait_for_retry_after(entra_config, fake_graph, client):
    fake_graph.book.add("g-a", "A", users={1})
    fake_graph.throttle(2, retry_after=3)

    read = entra_groups.fetch_groups(entra_config, chosen=None, client=client)

    assert read.groups["g-a"].members == {uid(1)}
    assert client.waits == [3.0, 3.0]


def test_expired_group_delta_link_raises_delta_expired(entra_config, fake_graph, client):
    first = entra_groups.fetch_groups(entra_config, chosen=None, client=client)
    fake_graph.group_api.expired.add(first.delta_link.rsplit("=", 1)[1])

    with pytest.raises(DeltaExpired):
        entra_groups.fetch_group_changes(
            entra_config, first.delta_link, first.groups, chosen=None, client=client
        )


def test_missing_group_permission_names_it(entra_config, fake_graph, client):
    fake_graph.has_permission = False

    with pytest.raises(DirectoryError) as caught:
        entra_groups.list_groups(client)

    assert caught.value.reason == DirectoryError.CONSENT
    assert "GroupMember.Read.All" in caught.value.message
