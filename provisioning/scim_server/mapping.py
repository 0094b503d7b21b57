"""Person ⇄ SCIM User.

========================================  =====================================
SCIM attribute                            Person
========================================  =====================================
userName                                  user_name, else email (unique in
                                          any case; returned as stored)
externalId, enterprise employeeNumber     external_id (one identifier; when a
                                          request sets both, externalId wins)
name.givenName / name.familyName          first_name / last_name
displayName, name.formatted               full_name (displayName wins)
title                                     job_title
emails                                    email: the primary, else work, else
                                          first value (else an email-shaped
                                          userName); the list is kept as sent
phoneNumbers[type work].value             phone_number (E.164), kept as given
                                          (phone_number_given) as well
addresses[type work].locality             location
active                                    status != deactivated
enterprise department                     department
enterprise manager.value / $ref           manager (Roster id)
========================================  =====================================
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from accounts.models import Person
from provisioning.scim_server.errors import invalid_value
from provisioning.scim_server.schema import (
    CORE,
    CORE_INDEX,
    ENTERPRISE,
    ENTERPRISE_INDEX,
    IGNORED,
    IGNORED_SUB,
    SUB_INDEX,
)
from provisioning.scim_server.state import emails_of, is_email_shaped, pick_email

_MULTI = {"emails", "phoneNumbers", "addresses"}
_STRING_ATTRS = {"userName", "displayName", "title", "externalId"}


def etag(person: Person) -> str:
    return f'W/"{person.version}"'


def person_to_doc(person: Person, base: str) -> dict[str, Any]:
    """Return the full SCIM representation of ``person``; ``base`` ends in ``/Users``."""
    doc: dict[str, Any] = {"schemas": [CORE], "id": str(person.pk)}
    if person.external_id:
        doc["externalId"] = person.external_id
    doc["userName"] = person.scim_user_name
    name = {
        k: v
        for k, v in (
            ("formatted", person.full_name),
            ("familyName", person.last_name),
            ("givenName", person.first_name),
        )
        if v
    }
    if name:
        doc["name"] = name
    if person.full_name:
        doc["displayName"] = person.full_name
    if person.job_title:
        doc["title"] = person.job_title
    doc["active"] = person.status != Person.Status.DEACTIVATED
    doc["emails"] = emails_of(person)
    phone = person.phone_number_given or person.phone_number
    if phone:
        doc["phoneNumbers"] = [{"value": phone, "type": "work"}]
    if person.location:
        doc["addresses"] = [{"locality": person.location, "type": "work"}]
    enterprise: dict[str, Any] = {}
    if person.external_id:
        enterprise["employeeNumber"] = person.external_id
    if person.department:
        enterprise["department"] = person.department
    if person.manager_id:
        enterprise["manager"] = {
            "value": str(person.manager_id),
            "$ref": f"{base}/{person.manager_id}",
        }
    if enterprise:
        doc["schemas"].append(ENTERPRISE)
        doc[ENTERPRISE] = enterprise
    doc["meta"] = {
        "resourceType": "User",
        "created": person.created_at.isoformat(),
        "lastModified": person.updated_at.isoformat(),
        "location": f"{base}/{person.pk}",
        "version": etag(person),
    }
    return doc


# --- reading what clients send ---------------------------------------------


def _bool(value: Any, name: str) -> bool:
    # Entra sends booleans as strings ("False") unless told otherwise.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{name} must be true or false.")


def _string(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bool, dict | list)):
        raise invalid_value(f"{name} must be a string.")
    text = str(value)
    if "\x00" in text:
        raise invalid_value(f"{name} contains a NUL character.")
    return text


def _complex(
    value: Any, attr: str, *, ignored: set[str], subs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_value(f"{attr} must be an object.")
    out: dict[str, Any] = {}
    for key, sub_value in value.items():
        lower = str(key).lower()
        if lower in ignored:
            continue
        if lower not in subs:
            raise invalid_value(f"“{key}” is not a sub-attribute of {attr}.")
        spec = subs[lower]
        name = spec["name"]
        if sub_value is None:
            continue
        if spec["type"] == "boolean":
            out[name] = _bool(sub_value, f"{attr}.{name}")
        else:
            out[name] = _string(sub_value, f"{attr}.{name}")
    return out


def canonicalise(raw: Any) -> dict[str, Any]:
    """Return ``raw`` with canonical attribute names and checked value types.

    Ignored attributes are dropped; unknown attributes raise ScimError (400).
    Enterprise attributes end up under the ENTERPRISE key, whether sent as an
    extension object or as URN-prefixed keys.
    """
    if not isinstance(raw, dict):
        raise invalid_value("The resource must be a JSON object.")
    doc: dict[str, Any] = {}
    enterprise: dict[str, Any] = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            raise invalid_value("Attribute names must be strings.")
        lower = key.lower()
        if lower == ENTERPRISE.lower():
            if value is None:
                continue
            if not isinstance(value, dict):
                raise invalid_value(f"{ENTERPRISE} must be an object.")
            for sub_key, sub_value in value.items():
                if str(sub_key).lower() not in ("schemas", "id", "meta"):
                    _put_enterprise(enterprise, str(sub_key), sub_value)
            continue
        if lower.startswith(ENTERPRISE.lower() + ":"):
            _put_enterprise(enterprise, key[len(ENTERPRISE) + 1 :], value)
            continue
        if lower.startswith(CORE.lower() + ":"):
            key = key[len(CORE) + 1 :]
            lower = key.lower()
        if lower in ("schemas", "id", "meta"):
            continue
        if lower == "externalid":
            doc["externalId"] = _string(value, "externalId")
            continue
        if lower in IGNORED[CORE]:
            continue
        if lower not in CORE_INDEX:
            raise invalid_value(f"“{key}” is not an attribute of the User resource.")
        name = CORE_INDEX[lower]["name"]
        if value is None:
            doc[name] = None
        elif name == "userName" and not isinstance(value, str):
            raise invalid_value("userName must be a string.")
        elif name in _STRING_ATTRS:
            doc[name] = _string(value, name)
        elif name == "active":
            doc[name] = _bool(value, name)
        elif name == "name":
            doc[name] = _complex(value, name, ignored=IGNORED_SUB["name"], subs=SUB_INDEX["name"])
        elif name in _MULTI:
            items = value if isinstance(value, list) else [value]
            doc[name] = [
                _complex(
                    item,
                    name,
                    ignored=IGNORED_SUB[name.lower()],
                    subs=SUB_INDEX[name.lower()],
                )
                for item in items
            ]
    if enterprise:
        doc[ENTERPRISE] = enterprise
    return doc


def _put_enterprise(enterprise: dict[str, Any], key: str, value: Any) -> None:
    lower = key.lower()
    if lower in IGNORED[ENTERPRISE]:
        return
    if lower not in ENTERPRISE_INDEX:
        raise invalid_value(f"“{key}” is not an attribute of {ENTERPRISE}.")
    name = ENTERPRISE_INDEX[lower]["name"]
    if value is None:
        enterprise[name] = None
    elif name == "manager":
        value = manager_object(value)
        if value is None:
            enterprise[name] = None
            return
        enterprise[name] = _complex(
            value, "manager", ignored=IGNORED_SUB["manager"], subs=SUB_INDEX["manager"]
        )
    else:
        enterprise[name] = _string(value, name)


def manager_object(value: Any) -> Any:
    """Return the manager as ``{"value": id}`` from the forms providers send.

    Entra sends a bare id, or ``[{"value": id}]`` on add; an empty value,
    string or list removes the manager (None).
    """
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = {"value": str(value)} if str(value).strip() else None
    if isinstance(value, dict) and not any(v not in (None, "") for v in value.values()):
        return None
    return value


@dataclass
class Desired:
    """What a request asks of a person: attribute values and the active flag."""

    values: dict[str, Any] = field(default_factory=dict)
    emails: list[dict[str, Any]] | None = None
    emails_set: bool = False
    manager_ref: str | None = None
    manager_set: bool = False
    active: bool | None = None


def _pick(items: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Pick the work element: the primary one, else the last typed work or untyped."""
    if not items:
        return None
    work = [i for i in items if str(i.get("type") or "work").lower() == "work"]
    if not work:
        return None
    primary = [i for i in work if i.get("primary") is True]
    return (primary or work)[-1]


def _changed(doc: dict[str, Any], original: dict[str, Any] | None, *path: str) -> bool:
    if original is None:
        return True
    a: Any = doc
    b: Any = original
    for part in path:
        a = a.get(part) if isinstance(a, dict) else None
        b = b.get(part) if isinstance(b, dict) else None
    return bool(a != b)


def desired_from_doc(doc: dict[str, Any], *, original: dict[str, Any] | None = None) -> Desired:
    """Turn a canonical document into the Person attributes it asks for.

    ``original`` is the person's representation before a PATCH: only what the
    operations changed is taken. Without it (POST, PUT), every attribute is
    taken; a missing attribute clears the value, except externalId and
    employeeNumber (kept unless sent) and active (kept unless sent).
    """
    desired = Desired()
    values = desired.values
    enterprise = doc.get(ENTERPRISE) or {}
    original_enterprise = (original or {}).get(ENTERPRISE) or {}
    emails_changed = original is None or doc.get("emails") != original.get("emails")
    if emails_changed or _changed(doc, original, "userName"):
        # userName is sent along with an email change, so that a person who
        # went by their email keeps the userName the provider knows.
        values["user_name"] = doc.get("userName") or None
    if emails_changed:
        desired.emails_set = True
        desired.emails = doc.get("emails") or None
        email = pick_email(doc.get("emails"))
        if email is None and is_email_shaped(doc.get("userName")):
            email = str(doc["userName"]).strip()
        if email is None:
            raise invalid_value(
                "emails: Roster needs an email address for every person: send one in "
                "emails (primary, or type work), or use an email address as userName."
            )
        values["email"] = email
    name = doc.get("name") or {}
    if _changed(doc, original, "name", "givenName"):
        values["first_name"] = name.get("givenName") or ""
    if _changed(doc, original, "name", "familyName"):
        values["last_name"] = name.get("familyName") or ""
    if original is None:
        values["full_name"] = doc.get("displayName") or name.get("formatted") or ""
    elif _changed(doc, original, "displayName"):
        values["full_name"] = doc.get("displayName") or ""
    elif _changed(doc, original, "name", "formatted"):
        values["full_name"] = name.get("formatted") or ""
    if _changed(doc, original, "title"):
        values["job_title"] = doc.get("title") or ""
    if original is None or doc.get("phoneNumbers") != original.get("phoneNumbers"):
        phone = _pick(doc.get("phoneNumbers"))
        values["phone_number_given"] = (phone or {}).get("value") or ""
    if original is None or doc.get("addresses") != original.get("addresses"):
        address = _pick(doc.get("addresses"))
        values["location"] = (address or {}).get("locality") or ""
    if enterprise.get("department") != original_enterprise.get("department") or (original is None):
        values["department"] = enterprise.get("department") or ""
    sent_external = "externalId" in doc
    sent_employee = "employeeNumber" in enterprise
    if original is None:
        if sent_external:
            values["external_id"] = doc.get("externalId") or None
        elif sent_employee:
            values["external_id"] = enterprise.get("employeeNumber") or None
    elif doc.get("externalId") != original.get("externalId"):
        values["external_id"] = doc.get("externalId") or None
    elif enterprise.get("employeeNumber") != original_enterprise.get("employeeNumber"):
        values["external_id"] = enterprise.get("employeeNumber") or None
    manager = enterprise.get("manager")
    if original is None or manager != original_enterprise.get("manager"):
        desired.manager_set = True
        if manager:
            ref = manager.get("value")
            if not ref and manager.get("$ref"):
                ref = str(manager["$ref"]).rstrip("/").rpartition("/")[2]
            desired.manager_ref = ref or None
    if "active" in doc and doc["active"] is not None and _changed(doc, original, "active"):
        desired.active = bool(doc["active"])
    _check_lengths(values)
    return desired


def _check_lengths(values: dict[str, Any]) -> None:
    for name, value in values.items():
        model_field = Person._meta.get_field(name)
        limit = model_field.max_length if isinstance(model_field, models.Field) else None
        if isinstance(value, str) and limit and len(value) > limit:
            raise invalid_value(f"{name} is longer than {limit} characters.")


def deep_copy(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)
