"""The values handed from step to step of a push: a claimed link, its result, a pass's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provisioning.scim.client import RemoteUser
from provisioning.scim.models import ScimLink

# The person fields a push reads, as one ``values()`` row per person.
PERSON_FIELDS = (
    "id",
    "email",
    "user_name",
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "department",
    "location",
    "phone_number",
    "status",
    "source",
    "manager_id",
    "version",
)
# One per outcome of a person's push; a run (ScimRun) has a field for each.
COUNTERS = ("created", "updated", "adopted", "deactivated", "deleted", "unchanged", "failed")


@dataclass
class Work:
    """A claimed link with everything needed to decide its requests."""

    link: ScimLink
    needed_lookup: bool
    values: dict[str, Any] | None
    manager_remote_id: str | None
    found: RemoteUser | None = None


@dataclass
class Result:
    """What to write to a link after the target confirmed."""

    counter: str
    remote_id: str | None
    snapshot: dict[str, Any]
    needs_manager: bool = False
    sent: bool = True
    drop: bool = False


@dataclass
class PushOutcome:
    """What one push pass did, and when to try again if it stopped early."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    requests: int = 0
    retry_in: float | None = None
    stopped: str = ""

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] += n
