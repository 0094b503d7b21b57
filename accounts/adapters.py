"""allauth hooks: Roster creates people through its services, never by self sign-up."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People are added by administrators, spreadsheets and integrations,
        # and join by claiming an invitation.
        return False
