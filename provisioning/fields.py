"""Model fields shared by provisioning's capabilities."""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class CompactJSONField(models.TextField):
    """JSON kept as compact text: written and read back as-is, where jsonb would be
    parsed on the way in and re-serialised on the way out (a third of an apply's
    time for a large import)."""

    prepare_for_copy = True

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
