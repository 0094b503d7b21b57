"""Test a source's connection and read the departments it knows, for the admin form."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.exceptions import DomainError
from accounts.services import require
from provisioning.idp import entra, google
from provisioning.idp.errors import DirectoryError
from provisioning.idp.models import IdentitySource
from provisioning.idp.services.sources import MANAGE, Actorish, source_config


@dataclass(frozen=True)
class ConnectionResult:
    """What "Test connection" found: ``reason`` is "" on success."""

    ok: bool
    message: str
    reason: str = ""


def test_connection(source: IdentitySource, *, by: Actorish) -> ConnectionResult:
    """Sign in and read one user; say what is wrong in terms an administrator can fix.

    Records the outcome on the source. Raises NotAllowed.
    """
    require(by, MANAGE)
    try:
        config = source_config(source)
        client = google if source.kind == IdentitySource.Kind.GOOGLE else entra
        seen = client.test_connection(config)
    except DirectoryError as exc:
        IdentitySource.objects.filter(pk=source.pk).update(last_error=exc.message)
        labels = {
            DirectoryError.CREDENTIALS: "Bad credentials",
            DirectoryError.CONSENT: "Missing consent or scope",
            DirectoryError.UNREACHABLE: "Unreachable",
        }
        label = labels.get(exc.reason, "Refused")
        return ConnectionResult(False, f"{label}: {exc.message}", exc.reason)
    except DomainError as exc:
        return ConnectionResult(False, exc.message, DirectoryError.CREDENTIALS)
    IdentitySource.objects.filter(pk=source.pk).update(last_error="")
    found = "and read a user" if seen else "but the directory has no users"
    return ConnectionResult(True, f"Connected {found}.")


def refresh_departments(source: IdentitySource, *, by: Actorish) -> list[str]:
    """Read the departments people have in the provider and remember them for the form."""
    require(by, MANAGE)
    config = source_config(source)
    if isinstance(config, google.GoogleConfig):
        departments = google.list_departments(config)
    else:
        listing = entra.fetch_users(config, with_delta=False)
        departments = sorted(
            {u["department"] for u in listing.users.values() if u.get("department")}
        )
    IdentitySource.objects.filter(pk=source.pk).update(known_departments=departments)
    return departments
