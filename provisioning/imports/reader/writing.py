"""Spreadsheets out: CSV (whole or streamed) and XLSX, formulas neutralised."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from accounts.spreadsheets import neutralise


def write_csv(headers: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """Return UTF-8 CSV (with BOM, so Excel reads accents) with formulas neutralised."""
    return b"".join(iter_csv(headers, rows))


def iter_csv(
    headers: list[str], rows: Iterable[Iterable[Any]], *, rows_per_chunk: int = 2000
) -> Iterator[bytes]:
    """Yield what ``write_csv`` returns, in pieces of ``rows_per_chunk`` rows
    (the first piece is the BOM and the header line), so a response can stream."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in headers])
    yield codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    pending = 0
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(headers: list[str], rows: Iterable[Iterable[Any]], *, title: str) -> bytes:
    """Return an XLSX workbook (every cell text) with formulas neutralised."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=title[:31])
    worksheet.append([neutralise(h) for h in headers])
    for row in rows:
        worksheet.append(["" if v is None else neutralise(str(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
