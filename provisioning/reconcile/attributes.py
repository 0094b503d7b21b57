"""Planning step 2, attributes: validate each value a record carries (lengths, the
email rules, phone numbers), then diff it against the matched person, including
whether the record (re)activates or deactivates them."""

from __future__ import annotations

from typing import Any

from accounts.organisation import current_organisation
from accounts.phones import InvalidPhoneNumber, normalise_phone
from accounts.services import email_problem
from provisioning.reconcile.plan import PlanOptions
from provisioning.reconcile.snapshot import (
    CLAIMED,
    DEACTIVATED,
    FIELD_POS,
    FIRST,
    FULL,
    LAST,
    PHONE,
    STATUS,
    Snapshot,
)
from provisioning.reconcile.work import ErrorFn, Work

# Person attributes a record sets directly, in display order.
TEXT_FIELDS = (
    "email",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "department",
    "phone_number",
    "location",
    "start_date",
)


# Attributes whose problems reject a row even in a lenient plan: who the
# person is. Every other attribute is optional and is left empty instead.
IDENTITY_ATTRIBUTES = frozenset({"email", "external_id"})


def plan_attributes(
    works: list[Work],
    snapshot: Snapshot,
    options: PlanOptions,
    error: ErrorFn,
    labels: dict[str, str],
    warn: ErrorFn | None = None,
) -> None:
    """Set each record's changes, display name and new status, or its errors.

    With ``warn`` (a lenient plan), a value of an optional attribute that
    cannot be used is recorded as a warning and planned as empty.
    """
    attrs = options.attributes

    def unusable(work: Work, name: str, message: str) -> bool:
        """Report a bad value; return True when the attribute is kept empty."""
        if warn is not None and name not in IDENTITY_ATTRIBUTES:
            warn(work, name, f"{message} It was left empty.")
            return True
        error(work, name, message)
        return False

    people = snapshot.people
    phone_cache: dict[str, str | InvalidPhoneNumber] = {}
    # Read once, at the first phone: normalise_phone would look the
    # organisation up for every number.
    region: str | None = None
    max_lengths = snapshot.max_lengths
    text_fields = [f for f in TEXT_FIELDS if f in attrs]
    names_given = "first_name" in attrs or "last_name" in attrs
    for work in works:
        record = work.record
        for attribute, message in record.problems:
            error(work, attribute, message)
        values: dict[str, Any] = {}
        for name in text_fields:
            value = work.email if name == "email" else getattr(record, name)
            limit = max_lengths.get(name)
            if limit and len(value) > limit:
                if unusable(
                    work,
                    name,
                    f"This is {len(value):,} characters long; {labels[name]} holds at most "
                    f"{limit:,}.",
                ):
                    values[name] = ""
                continue
            values[name] = value
        if values.get("start_date") == "":
            # A date column: blank is no date (the reader made the rest ISO).
            values["start_date"] = None
        if work.email and "email" in values:
            problem = email_problem(work.email, allowed_domains=snapshot.allowed_domains)
            if problem:
                error(work, "email", problem)
        existing = people[work.pid] if work.pid is not None else None
        if values.get("phone_number"):
            if region is None:
                region = current_organisation().phone_region
            current = existing[PHONE] if existing is not None else None
            phone = _read_phone(
                values["phone_number"], record.phone_fallbacks, current, phone_cache, region
            )
            if isinstance(phone, InvalidPhoneNumber):
                if unusable(work, "phone_number", str(phone)):
                    values["phone_number"] = ""
            else:
                values["phone_number"] = phone
        if "external_id" in values and not values["external_id"]:
            if options.clear_blank_ids:
                values["external_id"] = None
            else:
                # A blank ID never clears one Roster already holds.
                del values["external_id"]
        if existing is None:
            first = values.get("first_name", "")
            last = values.get("last_name", "")
            if not values.get("full_name"):
                values["full_name"] = f"{first} {last}".strip()
            work.name = values["full_name"] or work.email
            work.changes = {
                name: [None, value] for name, value in values.items() if value not in ("", None)
            }
            if "external_id" in values:
                values["external_id"] = values["external_id"] or None
        else:
            if not values.get("full_name"):
                # Like update_person: a blank or automatic full name follows the
                # first and last names; one typed by hand is kept.
                first = values.get("first_name", existing[FIRST])
                last = values.get("last_name", existing[LAST])
                old_auto = f"{existing[FIRST]} {existing[LAST]}".strip()
                if "full_name" in values or (
                    names_given and (not existing[FULL] or existing[FULL] == old_auto)
                ):
                    values["full_name"] = f"{first} {last}".strip()
            changes = {}
            for name, value in values.items():
                old = existing[FIELD_POS[name]]
                if name == "start_date":
                    old = old.isoformat() if old else None
                elif old is None:
                    old = None if name == "external_id" else ""
                if old != value:
                    changes[name] = [old, value]
            work.changes = changes
            work.name = values.get("full_name") or existing[FULL] or work.email
            if record.is_active is not None:
                deactivated = existing[STATUS] == DEACTIVATED
                if record.is_active and deactivated:
                    work.status = "active" if existing[CLAIMED] else "staged"
                elif not record.is_active and not deactivated:
                    if options.actor_id is not None and work.pid == options.actor_id:
                        error(work, "is_active", "You cannot deactivate your own account.")
                    else:
                        work.status = DEACTIVATED
        if existing is None and record.is_active is False:
            work.status = DEACTIVATED


def _read_phone(
    raw: str,
    fallbacks: tuple[str, ...],
    current: str | None,
    cache: dict[str, str | InvalidPhoneNumber],
    region: str,
) -> str | InvalidPhoneNumber:
    """Return the first of ``raw`` and ``fallbacks`` that reads as a phone number
    (E.164), or the problem with ``raw`` when none does."""
    first: InvalidPhoneNumber | None = None
    for text in (raw, *fallbacks):
        if not text:
            continue
        if current and text.replace(" ", "") == current:
            return current
        cached = cache.get(text)
        if cached is None:
            try:
                cached = normalise_phone(text, region=region)
            except InvalidPhoneNumber as exc:
                cached = exc
            if len(cache) < 5_000:  # shared numbers repeat; most do not
                cache[text] = cached
        if not isinstance(cached, InvalidPhoneNumber):
            return cached
        first = first or cached
    assert first is not None
    return first
