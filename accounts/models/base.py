"""Abstract bases every app's models may use."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base with creation and last-change timestamps."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
