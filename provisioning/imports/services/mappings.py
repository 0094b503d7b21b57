"""Saved column choices: what each column of a file holds, remembered for the
next file with the same headers.

A person who maps or ignores columns on a preview may remember those choices
(``save_column_mapping``). A later upload whose headers normalise to the same
set (order, case, spacing and punctuation aside) gets them applied when its
preview is made (``mapping_for_headers``), and the preview says so. Saving and
deleting are audited as organisation settings.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.audit import record_setting_event
from accounts.models import LifecycleEvent, Person
from accounts.services import Actorish, require
from provisioning.exceptions import NothingToRemember
from provisioning.imports.models import SavedColumnMapping
from provisioning.imports.reader import normalise_header
from provisioning.records import RECORD_ATTRIBUTES

SUBJECT = LifecycleEvent.SubjectKind.ORGANISATION


def header_set(headers: list[str]) -> list[str]:
    """Return the file's headers normalised, without blanks, sorted and unique."""
    return sorted({key for key in (normalise_header(h) for h in headers) if key})


def header_key(headers: list[str]) -> str:
    """Return the key of files with these headers (sha256 of the normalised set)."""
    return hashlib.sha256("\n".join(header_set(headers)).encode()).hexdigest()


def find_saved_column_mapping(headers: list[str]) -> SavedColumnMapping | None:
    """Return the choices saved for files with ``headers``, or None."""
    return (
        SavedColumnMapping.objects.select_related("saved_by")
        .filter(header_key=header_key(headers))
        .first()
    )


def describe_saved(saved: SavedColumnMapping) -> str:
    """Say, for the preview, whose saved choices were applied and from when."""
    who = saved.saved_by.display_name if saved.saved_by else "someone no longer in Roster"
    when = format_date(timezone.localtime(saved.saved_at), "j F Y")
    return f"Column choices saved on {when} by {who} were applied."


def mapping_for_headers(
    headers: list[str], found: list[SavedColumnMapping]
) -> dict[str, str | None] | None:
    """Return the saved choices for ``headers`` keyed by the file's own headers,
    appending the saved row to ``found``; None when nothing is saved."""
    saved = find_saved_column_mapping(headers)
    if saved is None:
        return None
    by_key = {normalise_header(h): h for h in headers if h}
    mapping = {by_key[key]: value for key, value in saved.mapping.items() if key in by_key}
    if not mapping:
        return None
    found.append(saved)
    SavedColumnMapping.objects.filter(pk=saved.pk).update(
        times_applied=F("times_applied") + 1, last_applied_at=timezone.now()
    )
    return mapping


@transaction.atomic
def save_column_mapping(
    headers: list[str], *, mapping: dict[str, str | None], by: Actorish
) -> SavedColumnMapping:
    """Remember ``mapping`` ({header: attribute or None}) for files with ``headers``.

    Replaces what was saved for the same header set. Audited. Raises
    NotAllowed, NothingToRemember (no choice, or a choice naming a column
    the file does not have or an attribute Roster does not know); changes
    nothing when it raises.
    """
    require(by, "provisioning.add_savedcolumnmapping")
    keys = set(header_set(headers))
    choices: dict[str, str | None] = {}
    for header, value in mapping.items():
        key = normalise_header(header)
        if key not in keys or (value is not None and value not in RECORD_ATTRIBUTES):
            raise NothingToRemember(f"“{header}” cannot be remembered for this file's columns.")
        choices[key] = value
    if not choices:
        raise NothingToRemember(
            "Choose what at least one column holds (or ignore it) before remembering the choices."
        )
    key = header_key(headers)
    existing = SavedColumnMapping.objects.select_for_update().filter(header_key=key).first()
    before = existing.mapping if existing else None
    saved, _ = SavedColumnMapping.objects.update_or_create(
        header_key=key,
        defaults={
            "headers": sorted(keys),
            "header_labels": [h for h in headers if h],
            "mapping": choices,
            "saved_by": by if isinstance(by, Person) else None,
            "saved_at": timezone.now(),
        },
    )
    record_setting_event(
        SUBJECT,
        _subject(saved),
        LifecycleEvent.Action.UPDATED if existing else LifecycleEvent.Action.CREATED,
        by=by,
        changes={"mapping": [before, choices]},
    )
    return saved


@transaction.atomic
def delete_saved_column_mapping(saved: SavedColumnMapping, *, by: Actorish) -> None:
    """Forget saved column choices; later uploads are matched afresh. Audited.
    Raises NotAllowed."""
    require(by, "provisioning.delete_savedcolumnmapping")
    subject = _subject(saved)
    before: dict[str, Any] = dict(saved.mapping)
    deleted, _ = SavedColumnMapping.objects.filter(pk=saved.pk).delete()
    if deleted:
        record_setting_event(
            SUBJECT,
            subject,
            LifecycleEvent.Action.DELETED,
            by=by,
            changes={"mapping": [before, None]},
        )


def _subject(saved: SavedColumnMapping) -> str:
    return f"saved column choices ({len(saved.headers)} columns: {', '.join(saved.headers)})"
