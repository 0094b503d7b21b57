"""The planner's working state for one record, shared by the planning steps, and
how a step records an error against the record's own column header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provisioning.records import ExternalRecord


class Work:
    """Mutable per-record state while planning."""

    __slots__ = (
        "changes",
        "email",
        "errors",
        "ext",
        "manager_ref",
        "manager_set",
        "name",
        "pid",
        "record",
        "status",
        "warnings",
    )

    def __init__(self, record: ExternalRecord) -> None:
        self.record = record
        self.errors: list[dict[str, Any]] = []
        # Problems with optional attributes that left them empty (lenient plans).
        self.warnings: list[dict[str, Any]] = []
        self.pid: int | None = None
        self.email = ""
        self.ext: str | None = None
        self.name = ""
        self.changes: dict[str, list[Any]] = {}
        self.manager_ref: list[Any] | None = None
        self.manager_set = False
        self.status: str | None = None


# error(work, attribute, message): record a problem with one attribute.
ErrorFn = Callable[[Work, str, str], None]


def error_reporter(labels: dict[str, str], *, warning: bool = False) -> ErrorFn:
    """Return the ``error`` function the steps call, naming columns by ``labels``
    unless the record came with its own header for the attribute; with
    ``warning`` it records a warning instead (the row is still imported)."""

    def error(work: Work, attribute: str, message: str) -> None:
        column = labels.get(attribute, attribute)
        for name, header in work.record.columns:
            if name == attribute:
                column = header
        target = work.warnings if warning else work.errors
        target.append({"column": column, "message": message})

    return error
