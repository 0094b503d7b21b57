"""Rows of a CSV file: its encoding and delimiter are guessed, cells stay text."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

from provisioning.exceptions import UnreadableFile
from provisioning.imports.reader.sheet import CellBudget, Limits


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        sample = data[:4096]
        if b"\x00" in sample:
            odd_nuls = sample[1::2].count(0)
            even_nuls = sample[0::2].count(0)
            if odd_nuls > len(sample) // 4 and even_nuls == 0:
                encodings = ["utf-16-le"]
            elif even_nuls > len(sample) // 4 and odd_nuls == 0:
                encodings = ["utf-16-be"]
            else:
                raise UnreadableFile(
                    "This file is not text, so it cannot be a CSV file. Upload a CSV, "
                    "XLSX or ODS file."
                )
        else:
            encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnreadableFile(
        "Roster could not read this file as text. Save it as “CSV UTF-8” and upload it again."
    )


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    first_line = sample.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        if dialect.delimiter in first_line:
            return dialect.delimiter
    except csv.Error:
        pass
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_rows(data: bytes, limits: Limits, budget: CellBudget) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    del data
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    old_limit = csv.field_size_limit()
    csv.field_size_limit(limits.max_cell_chars + 1)
    try:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                message = str(exc)
                if "field larger than field limit" in message:
                    raise UnreadableFile(
                        f"Row {number + 1} has a cell longer than {limits.max_cell_chars:,} "
                        "characters, which no attribute can hold."
                    ) from exc
                raise UnreadableFile(f"Row {number + 1} cannot be read: {message}.") from exc
            number += 1
            budget.spend(len(cells), number)
            while cells and not cells[-1]:
                cells.pop()
            budget.check_width(len(cells), number)
            yield number, cells
    finally:
        csv.field_size_limit(old_limit)
