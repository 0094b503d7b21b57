"""Spreadsheet imports: the uploaded job, its stored plan in chunks."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models

from provisioning.fields import CompactJSONField


def import_upload_path(instance: ImportJob, filename: str) -> str:
    # A random name: the original one is kept on the job, never on disk.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"imports/{uuid.uuid4().hex}{suffix}"


class ImportJob(models.Model):
    """One uploaded spreadsheet: its options, its stored plan, and how applying it went."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PLANNING = "planning", "Preparing preview"
        READY = "ready", "Ready to apply"
        APPLYING = "applying", "Applying"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class InviteMode(models.TextChoices):
        NONE = "none", "No invitations now (invite them later from the People list)"
        NOW = "now", "Send invitations as soon as the import is done"
        AT = "at", "Send invitations at a date and time"
        START = "start", "Send each invitation on the person's start date"

    source = models.CharField(max_length=16, default="spreadsheet")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Not served by any URL: read only through provisioning.imports.services.
    file = models.FileField(upload_to=import_upload_path, max_length=200, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=8, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    # The sheet chosen to read (blank: the first), and every sheet of the workbook.
    sheet = models.CharField(max_length=100, blank=True)
    sheet_names = models.JSONField(default=list, blank=True)
    is_complete_list = models.BooleanField(default=False)
    skip_invalid = models.BooleanField(default=False)
    # With a Groups column: also take people out of spreadsheet-made groups
    # their row no longer lists.
    remove_from_groups = models.BooleanField(default=False)
    # {header as in the file: attribute name, or None to ignore the column}
    column_mapping = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # [{"header", "attribute", "state": known|mapped|ignored|unknown, "suggestion"}]
    columns = models.JSONField(default=list, blank=True)
    # Problems with the file as a whole: [{"row", "column", "message"}]
    file_errors = models.JSONField(default=list, blank=True)
    # How the file was read, for the preview (e.g. a template line that was skipped).
    file_notes = models.JSONField(default=list, blank=True)
    # With a Groups column, per group: {name, group_id, kind, new, joining, leaving}.
    group_changes = models.JSONField(default=list, blank=True)

    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    count_new = models.PositiveIntegerField(default=0)
    count_updated = models.PositiveIntegerField(default=0)
    count_unchanged = models.PositiveIntegerField(default=0)
    count_deactivated = models.PositiveIntegerField(default=0)
    count_reactivated = models.PositiveIntegerField(default=0)
    count_errors = models.PositiveIntegerField(default=0)
    # Rows about staff, whom imports never change.
    count_skipped = models.PositiveIntegerField(default=0)
    # Deactivations of people missing from a complete list (the guarded kind).
    count_absent = models.PositiveIntegerField(default=0)
    deactivation_threshold = models.PositiveIntegerField(default=0)
    # Invitations for the people the import adds, chosen when confirming.
    invite_mode = models.CharField(
        max_length=8, choices=InviteMode.choices, default=InviteMode.NONE
    )
    invite_at = models.DateTimeField(null=True, blank=True)
    # For "start": at 09:00 (organisation time) this many days before the start date.
    invite_days_before = models.PositiveSmallIntegerField(default=0)
    invite_note = models.CharField(max_length=300, blank=True)

    # When the preview now being prepared was asked for: a preview still
    # being prepared long after this is failed by the housekeeping task.
    planning_started_at = models.DateTimeField(null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "spreadsheet import"
        verbose_name_plural = "spreadsheet imports"
        permissions = [
            (
                "import_complete_list",
                "Can import a complete list (deactivates people missing from it)",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.original_filename or 'no file'})"

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": self.count_new,
            "updated": self.count_updated,
            "unchanged": self.count_unchanged,
            "deactivated": self.count_deactivated,
            "reactivated": self.count_reactivated,
            "skipped": self.count_skipped,
            "errors": self.count_errors,
        }

    @property
    def duration(self) -> float | None:
        """Seconds the apply took, once it finished."""
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def unresolved_columns(self) -> list[str]:
        """Headers of the columns that are not imported (they hold no attribute)."""
        return [c["header"] for c in self.columns if c.get("state") == "unknown"]

    @property
    def not_imported_columns(self) -> list[dict[str, Any]]:
        """The columns not imported, with a suggestion or a note where there is one."""
        return [
            {
                "header": c["header"],
                "suggestion": c.get("suggestion", ""),
                "note": c.get("note", ""),
            }
            for c in self.columns
            if c.get("state") == "unknown"
        ]

    @property
    def column_notes(self) -> list[dict[str, Any]]:
        """Columns read with a note (which of two columns holding one attribute is used)."""
        return [c for c in self.columns if c.get("attribute") and c.get("note")]

    @property
    def sheet_read(self) -> str:
        """The workbook sheet the preview comes from ("" for a CSV file)."""
        if self.sheet:
            return self.sheet
        return self.sheet_names[0] if self.sheet_names else ""

    @property
    def needs_confirmation(self) -> bool:
        """Whether applying needs the typed confirmation: a complete list that
        deactivates more people than the threshold."""
        return self.count_absent > self.deactivation_threshold

    @property
    def confirmation_phrase(self) -> str:
        return f"DEACTIVATE {self.count_absent}"


class ImportChunk(models.Model):
    """Up to CHUNK_SIZE planned rows of one action, stored compactly as JSON.

    Rows of an action are numbered in file order, so a preview page is one or
    two chunks, whatever the size of the file.
    """

    CHUNK_SIZE = 500

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    action = models.CharField(max_length=12)
    index = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    entries = CompactJSONField()

    class Meta:
        ordering = ["job", "action", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "action", "index"], name="importchunk_job_action_index_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id}/{self.action}/{self.index}"


class SavedColumnMapping(models.Model):
    """Column choices remembered for files with one set of headers."""

    # sha256 of the file's normalised headers, sorted: files with the same
    # columns in another order or spelling ("Cost Center", "cost-center") match.
    header_key = models.CharField(max_length=64, unique=True, editable=False)
    # The normalised headers, sorted, and one header as written, for people to read.
    headers = models.JSONField(default=list)
    header_labels = models.JSONField(default=list)
    # {normalised header: attribute name, or None to ignore the column}
    mapping = models.JSONField(default=dict)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField()
    times_applied = models.PositiveIntegerField(default=0)
    last_applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-saved_at", "-id"]
        verbose_name = "saved column choice"
        verbose_name_plural = "saved column choices"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(header_key__regex=r"^[0-9a-f]{64}$"),
                name="savedcolumnmapping_header_key_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"Column choices for {len(self.headers)} columns"
