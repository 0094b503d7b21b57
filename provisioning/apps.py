from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "provisioning"
    verbose_name = "Provisioning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.groups.signals import groups_changed
        from accounts.signals import organisation_changed, person_changed
        from provisioning.scim.receivers import (
            on_groups_changed,
            on_organisation_changed,
            on_person_changed,
        )

        person_changed.connect(on_person_changed, dispatch_uid="provisioning.scim.push")
        groups_changed.connect(on_groups_changed, dispatch_uid="provisioning.scim.push_groups")
        organisation_changed.connect(
            on_organisation_changed, dispatch_uid="provisioning.scim.full_sync_zone"
        )
