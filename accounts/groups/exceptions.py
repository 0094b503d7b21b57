"""Errors of groups; every interface shows their message as it stands."""

from __future__ import annotations

from accounts.exceptions import DomainError


class InvalidGroup(DomainError):
    """The group's name, external ID or kind is invalid; ``errors`` maps field to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {msg}" for field, msg in self.errors.items()))


class InvalidRule(DomainError):
    """A membership rule names an unknown attribute or operator, or a bad value.

    ``path`` locates the condition at fault: its index in each nested list of
    conditions from the top (empty for the rule as a whole).
    """

    def __init__(self, message: str, *, path: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.path = tuple(path)


class UnknownMembers(DomainError):
    """Some of the given member ids name nobody; ``ids`` lists them."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = list(ids)
        shown = ", ".join(self.ids[:10]) + (" …" if len(self.ids) > 10 else "")
        super().__init__(f"No person has the id (or email) {shown}. Nothing was changed.")


class MembersAreComputed(DomainError):
    """A rule-based group's members come from its rule, not from hand edits."""
