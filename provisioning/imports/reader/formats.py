"""The safety checks run before any parser: size, the real format sniffed
from the content, zip members (zip bombs), and refused XML (entity bombs)."""

from __future__ import annotations

import io
import zipfile
from typing import IO

from provisioning.exceptions import FileTooLarge, UnreadableFile
from provisioning.imports.reader.sheet import Limits

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab"}
_FORMAT_NAMES = {"csv": "a CSV file", "xlsx": "an Excel workbook (.xlsx)", "ods": "an ODS sheet"}


def sniff_format(head: bytes, zip_names: set[str] | None = None) -> str:
    """Return "csv", "xlsx" or "ods" from the content's first bytes (and zip members)."""
    if head.startswith(_ZIP):
        names = zip_names or set()
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "mimetype" in names and "content.xml" in names:
            return "ods"
        raise UnreadableFile(
            "This file is a zip archive, not a spreadsheet. Upload a CSV, XLSX or ODS file."
        )
    if head.startswith(_OLE2):
        raise UnreadableFile(
            "This is an old Excel 97-2003 workbook (.xls). Save it as .xlsx or CSV and upload that."
        )
    if head.startswith(b"%PDF"):
        raise UnreadableFile("This file is a PDF, not a spreadsheet.")
    return "csv"


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> set[str]:
    infos = archive.infolist()
    if len(infos) > 10_000:
        raise UnreadableFile("This workbook holds too many parts to be a real spreadsheet.")
    total = 0
    for info in infos:
        total += info.file_size
        if (
            info.file_size > 1024 * 1024
            and info.file_size > info.compress_size * limits.max_compression_ratio
        ):
            raise UnreadableFile(
                "This workbook expands to far more data than its size suggests "
                "(a “zip bomb”), so Roster will not open it."
            )
    if total > limits.max_uncompressed_bytes:
        raise FileTooLarge(
            f"This workbook expands to {total // (1024 * 1024):,} MB, more than the "
            f"{limits.max_uncompressed_bytes // (1024 * 1024):,} MB Roster reads."
        )
    return {info.filename for info in infos}


def checked_format(stream: IO[bytes], filename: str, limits: Limits) -> str:
    """Return "csv", "xlsx" or "ods" once the file passed every safety check;
    leave ``stream`` at its start."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limits.max_bytes:
        raise FileTooLarge(
            f"The file is {size / (1024 * 1024):.1f} MB; the most Roster accepts is "
            f"{limits.max_bytes / (1024 * 1024):.0f} MB. Split it into smaller files."
        )
    if size == 0:
        raise UnreadableFile("The file is empty.")
    head = stream.read(8)
    stream.seek(0)
    zip_names = None
    if head.startswith(_ZIP):
        try:
            with zipfile.ZipFile(stream) as archive:
                zip_names = _check_zip(archive, limits)
                if "mimetype" in zip_names and archive.read("mimetype").strip() != _ODS_MIME:
                    zip_names.discard("content.xml")
        except zipfile.BadZipFile as exc:
            raise UnreadableFile("This file looks like a workbook but is damaged.") from exc
        stream.seek(0)
    file_format = sniff_format(head, zip_names)
    extension = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    expected = {
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".ods": "ods",
        **dict.fromkeys(_TEXT_EXTENSIONS, "csv"),
    }.get(extension)
    if expected and expected != file_format:
        raise UnreadableFile(
            f"“{filename}” is named like {_FORMAT_NAMES[expected]} but its content is "
            f"{_FORMAT_NAMES[file_format]}. Save it again in the right format, or rename it."
        )
    return file_format


def refused_xml_in_chain(exc: BaseException | None, kind: type[Exception]) -> bool:
    # openpyxl wraps parser errors in ValueError; look at what it wrapped.
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def xml_refused(exc: Exception) -> UnreadableFile:
    return UnreadableFile(
        "This workbook contains XML that Roster refuses to read (entity declarations, "
        "which can be used to attack servers). Save it again from your spreadsheet program."
    )
