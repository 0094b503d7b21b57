"""The pages the admin site leaves out: models of Django and its add-ons nobody edits here."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

# Roster's roles replace Django's groups, and a person's one email lives on
# the person: neither page would mean anything to an administrator. MFA
# authenticators hold TOTP keys and recovery seeds, which no page shows; the
# scheduler's tables are set from the pages of what they schedule.
for _model in (
    Group,
    EmailAddress,
    Authenticator,
    PeriodicTask,
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
