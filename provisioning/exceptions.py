"""Errors the import engine raises; interfaces show ``message`` as it stands."""

from __future__ import annotations

from accounts.exceptions import DomainError


class ImportProblem(DomainError):
    """Base for every import problem."""


class UnreadableFile(ImportProblem):
    """The uploaded file is not a spreadsheet Roster can read safely."""


class FileTooLarge(ImportProblem):
    """The file exceeds the configured size or row limits."""


class ImportNotReady(ImportProblem):
    """The import cannot be applied in its current state (errors, unknown columns, status)."""


class ConfirmationRequired(ImportProblem):
    """Applying deactivates many people and needs a typed confirmation."""


class StalePlan(ImportProblem):
    """People changed in Roster after the preview was made; preview again."""


class NothingToRemember(DomainError):
    """Column choices were to be remembered, but none could be."""
