"""The Groups column: one cell names one or more groups.

Names are separated by semicolons, commas or line breaks; each is trimmed,
an empty name between two separators is ignored, and a name written twice
(in any case) counts once. A name longer than a group name can be, or one
holding a NUL character, is a problem with the row.
"""

from __future__ import annotations

import re

MAX_GROUP_NAME = 200
MAX_GROUPS_PER_ROW = 100
_SEPARATORS = re.compile(r"[;,\r\n]+")


def split_groups(cell: str, header: str) -> tuple[tuple[str, ...], str]:
    """Return (the group names in ``cell``, in order, each once; a problem or "")."""
    names: dict[str, str] = {}
    for part in _SEPARATORS.split(cell or ""):
        name = " ".join(part.split())
        if not name:
            continue
        if "\x00" in name:
            return (), f"A group name in the {header} column holds a NUL character."
        if len(name) > MAX_GROUP_NAME:
            return (), (
                f"The group name “{name[:40]}…” in the {header} column is {len(name):,} "
                f"characters long; a group name holds at most {MAX_GROUP_NAME}."
            )
        names.setdefault(name.lower(), name)
    if len(names) > MAX_GROUPS_PER_ROW:
        return (), (
            f"The {header} column names {len(names):,} groups; a row may name at most "
            f"{MAX_GROUPS_PER_ROW}."
        )
    return tuple(names.values()), ""
