"""Forms of the spreadsheet import pages: upload, column choices, options.

They parse and validate input only; provisioning.imports.services decides and writes.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from unfold.widgets import UnfoldAdminFileFieldWidget, UnfoldBooleanWidget

from provisioning.imports.models import ImportJob
from provisioning.imports.reader import TEMPLATE_HEADERS
from provisioning.records import RECORD_ATTRIBUTES

ACCEPTED_SUFFIXES = (".csv", ".xlsx", ".ods", ".txt", ".tsv")
IGNORE = "__ignore__"

INPUT_CLASSES = (
    "border border-base-200 bg-white font-medium min-w-20 placeholder-base-400 rounded-default "
    "shadow-xs text-font-default-light text-sm focus:outline-2 focus:-outline-offset-2 "
    "focus:outline-primary-600 px-3 py-2 w-full max-w-2xl dark:bg-base-900 dark:border-base-700 "
    "dark:text-font-default-dark"
)


class UploadForm(forms.Form):
    """A spreadsheet of people and whether it lists everyone."""

    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV, Excel (.xlsx) or OpenDocument (.ods). The first row holds the column "
        "names; download the template to see them.",
        # The admin theme's file box: its script fills in the chosen file's name.
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ",".join(ACCEPTED_SUFFIXES)}),
    )
    complete_list = forms.BooleanField(
        label="This file is the complete list of people",
        required=False,
        help_text="People added from earlier spreadsheets who are missing from this file "
        "will be deactivated. You will see who before anything changes.",
        widget=UnfoldBooleanWidget,
    )

    remove_from_groups = forms.BooleanField(
        label="Also remove people from groups their row no longer lists",
        required=False,
        help_text="For files with a Groups column. Only groups made by spreadsheet imports "
        "are affected; groups made by hand or by an identity provider are left alone.",
        widget=UnfoldBooleanWidget,
    )

    def __init__(self, *args: Any, can_complete_list: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_complete_list:
            # Not offered at all: only System administrators may import a complete list.
            del self.fields["complete_list"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith(ACCEPTED_SUFFIXES):
            raise forms.ValidationError("Choose a CSV, Excel (.xlsx) or OpenDocument (.ods) file.")
        if not upload.size:
            raise forms.ValidationError("The file is empty.")
        return upload


def attribute_choices() -> list[tuple[str, str]]:
    return [(attribute, TEMPLATE_HEADERS[attribute]) for attribute in RECORD_ATTRIBUTES]


class ColumnMappingForm(forms.Form):
    """What each column Roster did not recognise (or that was chosen before) holds."""

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self.columns: list[dict[str, Any]] = []
        choices = [("", "Choose…"), (IGNORE, "Ignore this column"), *attribute_choices()]
        for column in job.columns:
            if not column.get("header") or column.get("state") not in (
                "unknown",
                "mapped",
                "ignored",
            ):
                continue
            name = f"column_{column['index']}"
            if column["state"] == "mapped":
                initial = column.get("attribute") or ""
            elif column["state"] == "ignored":
                initial = IGNORE
            else:
                initial = ""
            self.fields[name] = forms.ChoiceField(
                label=column["header"],
                choices=choices,
                required=False,
                initial=initial,
                widget=forms.Select(attrs={"class": INPUT_CLASSES}),
            )
            self.columns.append({**column, "field": name})
        self.fields["remember"] = forms.BooleanField(
            label="Remember for files with these headers",
            required=False,
            help_text="The next file with the same columns gets these choices by itself. "
            "Saved choices are listed under Saved column choices.",
            widget=UnfoldBooleanWidget,
        )

    def bound_columns(self) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return [(column, self[column["field"]]) for column in self.columns]

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("remember") and not self.mapping():
            self.add_error(
                "remember",
                "Choose what at least one column holds (or ignore it) to remember the choices.",
            )
        return self.cleaned_data

    def mapping(self) -> dict[str, str | None]:
        """Return the job's mapping updated with the choices made here."""
        mapping: dict[str, str | None] = dict(self.job.column_mapping or {})
        for column in self.columns:
            value = self.cleaned_data.get(column["field"]) or ""
            if value == IGNORE:
                mapping[column["header"]] = None
            elif value:
                mapping[column["header"]] = value
            else:
                mapping.pop(column["header"], None)
        return mapping


class SheetForm(forms.Form):
    """Which sheet of the workbook the preview reads."""

    sheet = forms.ChoiceField(
        label="Sheet",
        choices=[],
        widget=forms.Select(attrs={"class": INPUT_CLASSES}),
        error_messages={"invalid_choice": "Choose one of the workbook's sheets."},
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sheet = cast(forms.ChoiceField, self.fields["sheet"])
        sheet.choices = [(name, name) for name in job.sheet_names]
        sheet.initial = job.sheet_read


class ConfirmForm(forms.Form):
    """The choices made before applying an import."""

    skip_invalid = forms.BooleanField(required=False, widget=UnfoldBooleanWidget)
    invite_mode = forms.ChoiceField(
        label="Invitations for new people",
        choices=[],
        initial=ImportJob.InviteMode.NONE,
        widget=forms.RadioSelect,
    )
    invite_at = forms.DateTimeField(
        label="Send the invitations at",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": INPUT_CLASSES}, format="%Y-%m-%dT%H:%M"
        ),
    )
    invite_days_before = forms.IntegerField(
        label="Days before the start date",
        required=False,
        min_value=0,
        max_value=90,
        initial=0,
        help_text="0 sends at 09:00 on the start date itself.",
        widget=forms.NumberInput(attrs={"class": INPUT_CLASSES}),
    )
    confirm_text = forms.CharField(
        label="Confirmation",
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"class": INPUT_CLASSES, "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, job: ImportJob, invite_modes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        labels = dict(ImportJob.InviteMode.choices)
        invite_mode = cast(forms.ChoiceField, self.fields["invite_mode"])
        invite_mode.choices = [(mode, labels[mode]) for mode in invite_modes]
        row_errors = job.count_errors - len(job.file_errors)
        self.fields["skip_invalid"].label = (
            f"Import the valid rows and skip the {row_errors:,} invalid "
            f"{'row' if row_errors == 1 else 'rows'}"
        )
        if not row_errors:
            del self.fields["skip_invalid"]
        if not job.count_new or invite_modes == [ImportJob.InviteMode.NONE]:
            self.fields["invite_mode"].widget = forms.HiddenInput()
            del self.fields["invite_at"]
            del self.fields["invite_days_before"]
        if job.needs_confirmation:
            self.fields["confirm_text"].required = True
            self.fields["confirm_text"].error_messages["required"] = (
                f"Type {job.confirmation_phrase} to confirm."
            )
            self.fields["confirm_text"].help_text = (
                f"Type {job.confirmation_phrase} to deactivate {job.count_absent:,} people "
                "who are missing from the file."
            )
        else:
            del self.fields["confirm_text"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mode = data.get("invite_mode")
        when = data.get("invite_at")
        if mode == ImportJob.InviteMode.AT:
            if when is None:
                self.add_error("invite_at", "Choose when to send the invitations.")
            elif when <= timezone.now():
                self.add_error("invite_at", "Choose a time in the future.")
        else:
            data["invite_at"] = None
        if mode != ImportJob.InviteMode.START or data.get("invite_days_before") is None:
            data["invite_days_before"] = 0
        return data
