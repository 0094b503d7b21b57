"""Deployment settings: the production profile is safe, and says what it is missing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent

# The production variables docs/deployment.md lists.
PRODUCTION = {
    "ROSTER_PROFILE": "production",
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "ROSTER_ENCRYPTION_KEY": "another-long-random-string-for-integration-secrets",
    "DJANGO_ALLOWED_HOSTS": "roster.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://roster.example.com",
    "ROSTER_BASE_URL": "https://roster.example.com",
}


def manage(*args: str, env: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "ROSTER_", "SECURE_")) or k == "DJANGO_SETTINGS_MODULE"
    }
    clean.update(env, ROSTER_VAR_DIR=str(var_dir))
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_production_variables(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, var_dir=tmp_path
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_are_on(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    result = manage("shell", "-c", code, env=PRODUCTION, var_dir=tmp_path)

    assert result.stdout.strip().splitlines()[-1] == (
        "31536000 True True ('HTTP_X_FORWARDED_PROTO', 'https') True True"
    ), result.stderr


def test_development_keeps_them_off(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, hasattr(s, 'SECURE_PROXY_SSL_HEADER')"
        " and s.SECURE_PROXY_SSL_HEADER)"
    )
    result = manage("shell", "-c", code, env={}, var_dir=tmp_path)

    assert result.stdout.strip().splitlines()[-1] == "0 False None", result.stderr


def test_production_refuses_to_start_without_an_encryption_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "ROSTER_ENCRYPTION_KEY"}

    result = manage("check", env=env, var_dir=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured: ROSTER_PROFILE=production needs ROSTER_ENCRYPTION_KEY" in (
        result.stderr
    )


def test_the_generated_secret_key_and_var_dir_are_private(tmp_path):
    var_dir = tmp_path / "var"

    result = manage("check", env={}, var_dir=var_dir)

    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((var_dir / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(var_dir.stat().st_mode) == 0o700


@pytest.mark.django_db
def test_uploads_are_stored_owner_only(settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path / "media")

    name = storage.save("imports/people.csv", ContentFile(b"email\na@example.com\n"))

    assert stat.S_IMODE(os.stat(storage.path(name)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "media" / "imports").st_mode) == 0o700


def test_every_page_carries_a_content_security_policy(db):
    client = Client()

    login = client.get("/accounts/login/")
    admin = client.get("/admin/", follow=False)

    policy = login["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "'unsafe-eval'" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "script-src 'self' 'unsafe-eval';" in admin["Content-Security-Policy"]
