"""Groups both fake identity providers serve, with a change log for Graph's
``/groups/delta``, and the two wire formats: Graph's ``/v1.0/groups``,
``/groups/{id}/members`` and ``/groups/delta`` (``members@delta``, ``@removed``),
and the Directory API's ``groups.list`` and ``members.list``."""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.provisioning.idp.directory import Directory

# Graph lists this many groups per delta page, so a round spans pages; a
# group's members are split over pages of this many entries, so one group
# shows up on several pages (documented: merge them).
DELTA_GROUPS_PAGE = 2
DELTA_MEMBERS_PAGE = 50
GOOGLE_MAX = 200


@dataclass
class FakeGroup:
    key: str
    name: str
    description: str = ""
    email: str = ""
    users: set[int] = field(default_factory=set)
    nested: set[str] = field(default_factory=set)
    devices: int = 0
    # Google only: EXTERNAL member emails and a CUSTOMER member.
    external: set[str] = field(default_factory=set)
    everyone: bool = False


@dataclass
class GroupBook:
    """The organisation's groups; every change is logged for delta reads."""

    groups: dict[str, FakeGroup] = field(default_factory=dict)
    # (seq, key, kind, detail): kind "props", "member", "deleted".
    log: list[tuple[int, str, str, Any]] = field(default_factory=list)
    seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _note(self, key: str, kind: str, detail: Any = None) -> None:
        self.seq += 1
        self.log.append((self.seq, key, kind, detail))

    def add(self, key: str, name: str, users=(), **options: Any) -> FakeGroup:
        with self.lock:
            group = FakeGroup(key=key, name=name, users=set(users), **options)
            self.groups[key] = group
            self._note(key, "props")
            for index in group.users:
                self._note(key, "member", ("user", index))
            for nested in group.nested:
                self._note(key, "member", ("group", nested))
            return group

    def rename(self, key: str, name: str) -> None:
        with self.lock:
            self.groups[key].name = name
            self._note(key, "props")

    def join(self, key: str, index: int) -> None:
        with self.lock:
            self.groups[key].users.add(index)
            self._note(key, "member", ("user", index))

    def leave(self, key: str, index: int) -> None:
        with self.lock:
            self.groups[key].users.discard(index)
            self._note(key, "member", ("user", index))

    def delete(self, key: str) -> None:
        with self.lock:
            del self.groups[key]
            self._note(key, "deleted")

    def ordered(self) -> list[FakeGroup]:
        return [self.groups[k] for k in sorted(self.groups)]


def graph_members(group: FakeGroup, directory: Directory) -> list[dict[str, Any]]:
    users = [
        {"@odata.type": "#microsoft.graph.user", "id": directory.people[i].object_id}
        for i in sorted(group.users)
    ]
    nested = [{"@odata.type": "#microsoft.graph.group", "id": k} for k in sorted(group.nested)]
    devices = [
        {"@odata.type": "#microsoft.graph.device", "id": f"{group.key}-device-{n}"}
        for n in range(group.devices)
    ]
    return users + nested + devices


class GraphGroups:
    """Graph's group endpoints over a ``GroupBook``."""

    def __init__(self, book: GroupBook, directory: Directory, base_url: str) -> None:
        self.book, self.directory, self.base_url = book, directory, base_url
        self.members_page_max = 999
        self.expired: set[str] = set()

    def _link(self, path: str, params: dict[str, Any]) -> str:
        return f"{self.base_url}/v1.0/{path}?{urlencode(params)}"

    def handle(self, path: str, query: dict[str, str]):
        if path == "/v1.0/groups":
            return self.list(query)
        if path == "/v1.0/groups/delta":
            return self.delta(query)
        parts = path.split("/")
        if len(parts) == 5 and parts[4] == "members":
            return self.members(parts[3], query)
        return None

    def list(self, query: dict[str, str]):
        top = min(int(query.get("$top", 100)), 999)
        offset = int(query.get("$skiptoken", "0") or 0)
        groups = self.book.ordered()
        fields = [f for f in query.get("$select", "").split(",") if f]
        value = []
        for g in groups[offset : offset + top]:
            full = {
                "id": g.key,
                "displayName": g.name,
                "description": g.description or None,
                "mailNickname": g.email.split("@")[0] if g.email else g.key[:8],
                "groupTypes": [],
                "securityEnabled": True,
                "mailEnabled": False,
            }
            value.append({k: v for k, v in full.items() if not fields or k in fields or k == "id"})
        payload: dict[str, Any] = {"value": value}
        if offset + top < len(groups):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            payload["@odata.nextLink"] = self._link("groups", params | {"$skiptoken": offset + top})
        return 200, payload, {}

    def members(self, key: str, query: dict[str, str]):
        group = self.book.groups.get(key)
        if group is None:
            return _not_found(key)
        top = min(int(query.get("$top", 100)), self.members_page_max)
        offset = int(query.get("$skiptoken", "0") or 0)
        members = graph_members(group, self.directory)
        payload: dict[str, Any] = {"value": members[offset : offset + top]}
        if offset + top < len(members):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            payload["@odata.nextLink"] = self._link(
                f"groups/{key}/members", params | {"$skiptoken": offset + top}
            )
        return 200, payload, {}

    def delta(self, query: dict[str, str]):
        token = query.get("$deltatoken")
        if token == "latest":
            return 200, {"value": [], "@odata.deltaLink": self._delta_link(self.book.seq)}, {}
        if token in self.expired:
            return 410, {"error": {"code": "syncStateNotFound", "message": "Resync required."}}, {}
        state = query.get("$skiptoken") or f"{token or 0}:0"
        since, _, offset_text = state.partition(":")
        since_seq, offset = int(since), int(offset_text or 0)
        with self.book.lock:
            upto = self.book.seq
            touched: dict[str, dict[str, Any]] = {}
            for seq, key, kind, detail in self.book.log:
                if since_seq < seq <= upto:
                    entry = touched.setdefault(key, {"props": False, "members": set()})
                    if kind == "props":
                        entry["props"] = True
                    elif kind == "member":
                        entry["members"].add(detail)
                    else:
                        entry["deleted"] = True
            entries = []
            for key in sorted(touched):
                entries.extend(self._entries(key, touched[key], full=since_seq == 0))
        value = entries[offset : offset + DELTA_GROUPS_PAGE]
        payload: dict[str, Any] = {"value": value}
        if offset + DELTA_GROUPS_PAGE < len(entries):
            params = {"$skiptoken": f"{since_seq}:{offset + DELTA_GROUPS_PAGE}"}
            payload["@odata.nextLink"] = self._link("groups/delta", params)
        else:
            payload["@odata.deltaLink"] = self._delta_link(upto)
        return 200, payload, {}

    def _entries(self, key: str, touched: dict[str, Any], *, full: bool) -> list[dict[str, Any]]:
        group = self.book.groups.get(key)
        if group is None:
            return [{"id": key, "@removed": {"reason": "deleted"}}]
        head: dict[str, Any] = {"id": key}
        if touched["props"] or full:
            head |= {"displayName": group.name, "description": group.description or None}
        changes = []
        for kind, ref in sorted(touched["members"], key=str):
            if kind == "user":
                member = {"@odata.type": "#microsoft.graph.user"}
                member["id"] = self.directory.people[ref].object_id
                present = ref in group.users
            else:
                member = {"@odata.type": "#microsoft.graph.group", "id": ref}
                present = ref in group.nested
            if not present:
                if full:
                    continue
                member["@removed"] = {"reason": "deleted"}
            changes.append(member)
        if not changes:
            return [head]
        chunks = [
            changes[i : i + DELTA_MEMBERS_PAGE] for i in range(0, len(changes), DELTA_MEMBERS_PAGE)
        ]
        return [
            (head if n == 0 else {"id": key}) | {"members@delta": chunk}
            for n, chunk in enumerate(chunks)
        ]

    def _delta_link(self, seq: int) -> str:
        return self._link("groups/delta", {"$deltatoken": str(seq)})


def _not_found(key: str):
    return (
        404,
        {"error": {"code": "Request_ResourceNotFound", "message": f"Group {key} not found."}},
        {},
    )


GOOGLE_GROUPS_PATH = "/admin/directory/v1/groups"


def google_group(group: FakeGroup) -> dict[str, Any]:
    return {
        "kind": "admin#directory#group",
        "id": group.key,
        "etag": '"1"',
        "email": group.email or f"{group.key}@example.com",
        "name": group.name,
        "description": group.description,
        "directMembersCount": str(
            len(group.users) + len(group.nested) + len(group.external) + int(group.everyone)
        ),
        "adminCreated": True,
    }


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _offset(query: dict[str, str]) -> int:
    return int(base64.urlsafe_b64decode(query["pageToken"])) if "pageToken" in query else 0


def google_groups(book: GroupBook, directory: Directory, path: str, query: dict[str, str]):
    """Answer ``groups.list`` or ``members.list``; None for other paths."""
    if path == GOOGLE_GROUPS_PATH:
        size = min(int(query.get("maxResults", 200)), GOOGLE_MAX)
        offset = _offset(query)
        groups = book.ordered()
        payload: dict[str, Any] = {"kind": "admin#directory#groups"}
        page = groups[offset : offset + size]
        if page:
            payload["groups"] = [google_group(g) for g in page]
        if offset + size < len(groups):
            payload["nextPageToken"] = _token(offset + size)
        return 200, payload, {}
    rest = path[len(GOOGLE_GROUPS_PATH) + 1 :].split("/")
    if len(rest) != 2 or rest[1] != "members":
        return None
    group = book.groups.get(rest[0])
    if group is None:
        return 404, {"error": {"code": 404, "message": "Resource Not Found: groupKey"}}, {}
    members: list[dict[str, Any]] = [
        {
            "kind": "admin#directory#member",
            "id": str(10**20 + i),
            "email": directory.people[i].email,
            "role": "MEMBER",
            "type": "USER",
            "status": "ACTIVE",
        }
        for i in sorted(group.users)
    ]
    members += [
        {"kind": "admin#directory#member", "id": k, "email": f"{k}@example.com", "type": "GROUP"}
        for k in sorted(group.nested)
    ]
    members += [
        {"kind": "admin#directory#member", "email": e, "role": "MEMBER", "type": "EXTERNAL"}
        for e in sorted(group.external)
    ]
    if group.everyone:
        members.append({"kind": "admin#directory#member", "id": "C0123abcd", "type": "CUSTOMER"})
    size = min(int(query.get("maxResults", 200)), GOOGLE_MAX)
    offset = _offset(query)
    payload = {"kind": "admin#directory#members"}
    if members[offset : offset + size]:
        payload["members"] = members[offset : offset + size]
    if offset + size < len(members):
        payload["nextPageToken"] = _token(offset + size)
    return 200, payload, {}
