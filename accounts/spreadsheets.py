"""Cells that are safe to hand to a spreadsheet program.

Both the audit-log export (accounts) and the people exports (provisioning)
write through ``neutralise``, so a value stored from untrusted input never
runs as a formula when someone opens the file.
"""

from __future__ import annotations

from typing import Any

# Excel, LibreOffice and Google Sheets start a formula (or DDE call) with any
# of these; ``'`` makes them show the rest as text and is not itself shown.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with ``'`` (read back as-is)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
