from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from allauth.account.signals import password_changed, password_reset, password_set

        from accounts.invitations import receivers  # noqa: F401  (connects them)

        # allauth changes the password itself on its sign-in pages; the audit
        # trail still has to say that it happened and who did it.
        for signal in (password_changed, password_reset, password_set):
            signal.connect(_audit_password_change)


def _audit_password_change(sender: type, *, user: Any, **kwargs: Any) -> None:
    from accounts.services import record_password_change

    record_password_change(user, by=user)
