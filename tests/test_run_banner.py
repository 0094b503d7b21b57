"""What `make run` prints and configures: where mail goes, and a quiet scheduler."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from portal.run import Runner, banner

BASE_DIR = Path(__file__).resolve().parent.parent

SHOW_MAIL_SETTINGS = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH, "
    "settings.ROSTER_MAIL_TO_FILES]))"
)


def test_banner_says_where_mail_is_written():
    login = {"created": False, "email": "admin@roster.example"}
    text = banner(8000, login, mail_dir="/srv/roster/var/mail")
    assert "Email is written to files in /srv/roster/var/mail/ (Sent mail in the admin)." in text
    assert "Email is written" not in banner(8000, login)


def test_scheduler_logs_only_warnings():
    beat = Runner(8000).commands()["Celery beat"]
    assert beat[beat.index("-l") + 1] == "warning"


def _mail_settings(tmp_path: Path, **extra: str) -> list:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL")}
    env.update(ROSTER_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="portal.settings", **extra)
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_MAIL_SETTINGS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_default_writes_mail_to_files_under_var_mail(tmp_path):
    assert _mail_settings(tmp_path) == [
        "django.core.mail.backends.filebased.EmailBackend",
        str(tmp_path / "mail"),
        True,
    ]


def test_a_configured_mail_server_is_used_instead(tmp_path):
    backend, _path, to_files = _mail_settings(tmp_path, EMAIL_URL="smtp://mail.example:25")
    assert backend == "django.core.mail.backends.smtp.EmailBackend"
    assert to_files is False
