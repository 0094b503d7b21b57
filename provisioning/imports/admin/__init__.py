"""The admin pages of spreadsheet imports, and the People list's exports.

``job_admin`` registers ``ImportJobAdmin``: the list and the upload page. Its
views come from ``preview`` (the import's page, its choices, confirmation and
progress) and ``downloads`` (template, error report, uploaded file, People
export), on the helpers of ``base``; ``display`` says how rows and statuses
look. ``mapping_admin`` lists saved column choices. This module only re-exports them.
"""

from __future__ import annotations

from provisioning.imports.admin.display import describe_row, invite_modes_for, phase_of
from provisioning.imports.admin.job_admin import ImportJobAdmin
from provisioning.imports.admin.mapping_admin import SavedColumnMappingAdmin

__all__ = [
    "ImportJobAdmin",
    "SavedColumnMappingAdmin",
    "describe_row",
    "invite_modes_for",
    "phase_of",
]
