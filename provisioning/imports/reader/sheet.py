"""What reading a file produces (``ParsedSheet``) and the limits it respects
(``Limits``, counted by ``CellBudget`` while rows stream)."""

from __future__ import annotations

from dataclasses import dataclass, field

from provisioning.exceptions import FileTooLarge
from provisioning.imports.reader.columns import Column, SheetError, column_letter
from provisioning.records import ExternalRecord


@dataclass(frozen=True)
class Limits:
    """What a file may hold before it is refused."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 200_000
    max_uncompressed_bytes: int = 400 * 1024 * 1024
    max_compression_ratio: int = 200
    max_cell_chars: int = 32_767
    # Rows are as wide as their last non-empty cell; a value further right
    # than this refuses the file.
    max_columns: int = 500
    # Every cell the reader looks at counts, empty ones included, so the work
    # a file can cause is bounded whatever its declared size.
    max_cells: int = 5_000_000


class CellBudget:
    """Counts the cells read and refuses a file that holds too many or too wide rows."""

    def __init__(self, limits: Limits) -> None:
        self.max_cells = limits.max_cells
        self.max_columns = limits.max_columns
        self.used = 0

    def spend(self, cells: int, row: int) -> None:
        self.used += cells
        if self.used > self.max_cells:
            raise FileTooLarge(
                f"The file holds more than {self.max_cells:,} cells (reached at row "
                f"{row:,}); the most Roster reads is that many. Delete unused columns "
                "and rows, or split it into smaller files."
            )

    def check_width(self, width: int, row: int) -> None:
        if width > self.max_columns:
            raise FileTooLarge(
                f"Row {row:,} has a value in column {column_letter(width - 1)} (column "
                f"{width:,}); Roster reads at most {self.max_columns:,} columns. Delete "
                "the columns Roster does not need and upload the file again."
            )


@dataclass
class ParsedSheet:
    """What a file held: its columns, records, and the problems found."""

    file_format: str
    headers: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    records: list[ExternalRecord] = field(default_factory=list)
    errors: list[SheetError] = field(default_factory=list)
    total_rows: int = 0
    sheet_names: list[str] = field(default_factory=list)
    # How many cells were read (empty ones the file holds included).
    cells_read: int = 0
    # What the preview says about how the file was read (a skipped template line).
    notes: list[str] = field(default_factory=list)
    # The column choices ``mapping_for`` gave for these headers (saved ones), if any.
    found_mapping: dict[str, str | None] | None = None

    @property
    def attributes(self) -> frozenset[str]:
        return frozenset(c.attribute for c in self.columns if c.attribute)

    def column_names(self) -> dict[str, str]:
        """The header each attribute is read from (the preferred one)."""
        names: dict[str, str] = {}
        for column in sorted(self.columns, key=lambda c: (c.rank, c.index)):
            if column.attribute:
                names.setdefault(column.attribute, column.header)
        return names

    @property
    def not_imported(self) -> list[Column]:
        """Columns with a header whose cells Roster does not read."""
        return [c for c in self.columns if c.header and c.state == "unknown"]
