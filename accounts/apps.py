from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset, password_set

        from accounts.groups import admin as _groups_admin  # noqa: F401  (registers it)
        from accounts.groups.receivers import on_person_changed
        from accounts.invitations import receivers  # noqa: F401  (connects them)
        from accounts.signals import person_changed

        person_changed.connect(on_person_changed, dispatch_uid="accounts.groups.recompute")

        # allauth changes the password itself on its sign-in pages; the audit
        # trail still has to say that it happened and who did it.
        for signal in (password_changed, password_reset, password_set):
            signal.connect(_audit_password_change)


def _audit_password_change(sender: type, *, user: Any, **kwargs: Any) -> None:
    from accounts.services import record_password_change

    record_password_change(user, by=user)
