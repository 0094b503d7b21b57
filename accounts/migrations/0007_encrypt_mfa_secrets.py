"""Encrypt the TOTP keys and recovery-code seeds stored before MFAAdapter did."""

from django.db import migrations

FIELDS = ("secret", "seed")


def encrypt_secrets(apps, schema_editor):
    from accounts import crypto

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.all().iterator():
        data = dict(authenticator.data or {})
        changed = False
        for name in FIELDS:
            value = data.get(name)
            if isinstance(value, str) and value and not crypto.is_encrypted(value):
                data[name] = crypto.encrypt(value)
                changed = True
        codes = data.get("migrated_codes")
        if isinstance(codes, list) and any(not crypto.is_encrypted(c) for c in codes):
            data["migrated_codes"] = [
                c if crypto.is_encrypted(c) else crypto.encrypt(c) for c in codes
            ]
            changed = True
        if changed:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_integration_audit"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_secrets, migrations.RunPython.noop)]
