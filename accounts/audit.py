"""Audit rows for changes to settings that are not people: integrations and tokens.

SCIM targets, identity providers, SCIM clients and API tokens are audited
like people (``LifecycleEvent``), with no person and a ``subject_kind``.
The services that change them call ``record_setting_event`` in their own
transaction. Secret values never reach a row: a changed secret is written
as ``"changed"`` (``"set"`` when first given).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accounts.actors import Actor
from accounts.models import LifecycleEvent, Person
from accounts.services import record_event

SET = "set"
CHANGED = "changed"


def setting_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    *,
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """Return {field: [before, after]} for what differs; secrets as "set"/"changed".

    ``before`` None means the subject is new: every given value is listed.
    Names in ``secrets`` that appear in ``after`` with a true value are
    written without their value.
    """
    secret_names = set(secrets)
    changes: dict[str, Any] = {}
    for name, value in after.items():
        if name in secret_names:
            if value:
                changes[name] = SET if before is None else CHANGED
            continue
        old = None if before is None else before.get(name)
        if before is None and value in (None, "", [], {}):
            continue
        if before is None or old != value:
            changes[name] = [old, value]
    return changes


def record_setting_event(
    subject_kind: str,
    subject: str,
    action: str,
    *,
    by: Person | Actor,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> LifecycleEvent:
    """Write one audit row about a setting (no person) in the caller's transaction."""
    return record_event(
        None,
        action,
        by=by,
        changes=_plain(changes or {}),
        reason=reason[:500],
        subject=f"{LifecycleEvent.SubjectKind(subject_kind).label} {subject}"[:300],
        subject_kind=subject_kind,
    )


def _plain(value: Any) -> Any:
    # JSON-safe values only (datetimes, choices, tuples) so the row always saves.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


__all__ = ["CHANGED", "SET", "record_setting_event", "setting_changes"]
