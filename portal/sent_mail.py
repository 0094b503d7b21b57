"""The admin's "Sent mail" page: the mail the embedded default wrote to files.

Without EMAIL_URL, Django's file backend writes each connection's messages to
one ``<date>-<time>-<n>.log`` file under EMAIL_FILE_PATH (var/mail/), each
message followed by a line of 79 dashes. The page exists only in that mode
and only for System administrators; everyone else gets a 404.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
_FILE_NAME = re.compile(r"^\d{8}-\d{6}-\d+$")
SHOWN = 200


@dataclass(frozen=True)
class SentMessage:
    """One message as the file backend wrote it."""

    file: str
    index: int
    subject: str
    sender: str
    to: str
    date: str
    body: str

    @property
    def key(self) -> str:
        return f"{self.file}/{self.index}"


def mail_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _parse(file: str, index: int, raw: bytes) -> SentMessage:
    message = email.message_from_bytes(raw.strip(b"\n"), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    return SentMessage(
        file=file,
        index=index,
        subject=str(message.get("Subject", "")),
        sender=str(message.get("From", "")),
        to=str(message.get("To", "")),
        date=str(message.get("Date", "")),
        body=body,
    )


def _read(file: Path) -> list[SentMessage]:
    chunks = [c for c in file.read_bytes().split(SEPARATOR) if c.strip()]
    return [_parse(file.stem, n, chunk) for n, chunk in enumerate(chunks)]


def list_sent_mail(limit: int = SHOWN) -> list[SentMessage]:
    """Return the newest ``limit`` messages written under EMAIL_FILE_PATH, newest first."""
    folder = mail_dir()
    if not folder.is_dir():
        return []
    files = sorted(
        (f for f in folder.glob("*.log") if _FILE_NAME.match(f.stem)),
        key=lambda f: (f.stat().st_mtime, f.name),
        reverse=True,
    )
    found: list[SentMessage] = []
    for file in files:
        found.extend(reversed(_read(file)))
        if len(found) >= limit:
            break
    return found[:limit]


def _require_embedded_admin(request: HttpRequest) -> None:
    # Only System administrators hold change_role; the mail holds claim links.
    if not settings.ROSTER_MAIL_TO_FILES or not request.user.has_perm("accounts.change_role"):
        raise Http404


def sent_mail_list(request: HttpRequest) -> HttpResponse:
    _require_embedded_admin(request)
    context = {
        **admin.site.each_context(request),
        "title": "Sent mail",
        "messages_sent": list_sent_mail(),
        "folder": str(mail_dir()),
    }
    return render(request, "admin/sent_mail/list.html", context)


def sent_mail_detail(request: HttpRequest, file: str, index: int) -> HttpResponse:
    _require_embedded_admin(request)
    path_ = mail_dir() / f"{file}.log"
    if not _FILE_NAME.match(file) or not path_.is_file():
        raise Http404
    messages = _read(path_)
    if index >= len(messages):
        raise Http404
    message = messages[index]
    context = {
        **admin.site.each_context(request),
        "title": message.subject or "(no subject)",
        "message": message,
    }
    return render(request, "admin/sent_mail/detail.html", context)


def urls() -> list:
    wrap = admin.site.admin_view
    return [
        path("admin/sent-mail/", wrap(sent_mail_list), name="sent-mail"),
        path(
            "admin/sent-mail/<str:file>/<int:index>/",
            wrap(sent_mail_detail),
            name="sent-mail-detail",
        ),
    ]
