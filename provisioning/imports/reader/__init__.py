"""Read people from CSV, XLSX and ODS files, and write spreadsheets safely.

No ORM here: this package turns bytes into ``ExternalRecord`` objects (and rows
back into bytes). Everything that could hurt the server is checked before a
parser runs: the real format is sniffed from the content (not the file name),
zip members are checked for size and compression ratio (zip bombs), XML is
parsed with defusedxml (entity bombs), and rows are counted while streaming.

Decisions, documented for the people who upload files:
- The first non-blank row holds the column headers. Fully blank rows are
  skipped; row numbers are the ones a spreadsheet program shows.
- Every cell is read as text, so leading zeros stay (``00123``). Numbers in
  XLSX cells are written without ``.0``; dates become ISO dates (2024-05-31).
- Formulas are never evaluated: the value Excel saved with the file is used.
- Hidden rows and columns are imported like visible ones. In merged cells the
  value belongs to the top-left cell; the others read as empty.
- XLSX/ODS: the first sheet is read unless another one is chosen.

Modules: ``reading`` (the entry points), ``formats`` (safety checks and
format sniffing), ``csv_format``/``xlsx_format``/``ods_format`` (rows of each
format), ``headers`` (header vocabulary), ``columns`` (matching headers to
attributes), ``rows`` (rows to records, status values), ``sheet`` (the result
and the limits) and ``writing`` (CSV and XLSX out). This module only
re-exports them.
"""

from __future__ import annotations

from provisioning.imports.reader.columns import Column, SheetError, column_letter, match_columns
from provisioning.imports.reader.formats import sniff_format
from provisioning.imports.reader.headers import (
    FILL_IN_ATTRIBUTES,
    HEADER_TIER,
    HEADER_TO_ATTRIBUTE,
    INVERTED_HEADERS,
    MAX_LENGTHS,
    TEMPLATE_EXAMPLE,
    TEMPLATE_HEADERS,
    attribute_label,
    normalise_header,
)
from provisioning.imports.reader.reading import read_sheet_names, read_spreadsheet
from provisioning.imports.reader.rows import PROGRESS_ROWS
from provisioning.imports.reader.sheet import Limits, ParsedSheet
from provisioning.imports.reader.writing import iter_csv, write_csv, write_xlsx
from provisioning.imports.reader.xlsx_format import cell_text

__all__ = [
    "FILL_IN_ATTRIBUTES",
    "HEADER_TIER",
    "HEADER_TO_ATTRIBUTE",
    "INVERTED_HEADERS",
    "MAX_LENGTHS",
    "PROGRESS_ROWS",
    "TEMPLATE_EXAMPLE",
    "TEMPLATE_HEADERS",
    "Column",
    "Limits",
    "ParsedSheet",
    "SheetError",
    "attribute_label",
    "cell_text",
    "column_letter",
    "iter_csv",
    "match_columns",
    "normalise_header",
    "read_sheet_names",
    "read_spreadsheet",
    "sniff_format",
    "write_csv",
    "write_xlsx",
]
