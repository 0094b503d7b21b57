"""A worker's connection to the mail server, kept open between emails.

Opening a TLS session to a relay costs more than sending a message, so each
worker thread keeps one session and reuses it until it has been idle too
long, has carried too many messages, or the mail settings changed.
"""

from __future__ import annotations

import contextlib
import smtplib
import threading
import time
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

# A worker's mail session is closed after this much idleness (servers drop
# idle sessions) and after this many messages (some relays cap a session).
CONNECTION_IDLE_SECONDS = 20
MESSAGES_PER_CONNECTION = 100


class _MailSession:
    """A worker's open connection to the mail server, reused between emails."""

    def __init__(self, key: tuple[Any, ...]) -> None:
        self.key = key
        self.backend = get_connection()
        self.backend.open()
        self.used_at = time.monotonic()
        self.sent = 0

    def close(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.backend.close()


_mail = threading.local()


def _drop(session: _MailSession) -> None:
    session.close()
    _mail.session = None


def _mail_session() -> _MailSession:
    key = (settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)
    session: _MailSession | None = getattr(_mail, "session", None)
    if session is not None and (
        session.key != key
        or time.monotonic() - session.used_at > CONNECTION_IDLE_SECONDS
        or session.sent >= MESSAGES_PER_CONNECTION
    ):
        session.close()
        session = None
    if session is None:
        session = _mail.session = _MailSession(key)
    return session


def deliver(email: EmailMessage) -> None:
    """Send ``email`` over this worker's mail session, opening one when needed.

    Opening a TLS session to a relay costs more than sending a message, so a
    worker keeps its session for a while. A server that dropped an idle reused
    session fails on the first command, before accepting anything, so that
    case is tried once more on a fresh session.
    """
    session = _mail_session()
    reused = session.sent > 0
    try:
        session.backend.send_messages([email])
    except smtplib.SMTPServerDisconnected:
        _drop(session)
        if not reused:
            raise
        session = _mail.session = _MailSession(session.key)
        try:
            session.backend.send_messages([email])
        except Exception:
            _drop(session)
            raise
    except Exception:
        # Never reuse a session left in an unknown state.
        _drop(session)
        raise
    session.used_at = time.monotonic()
    session.sent += 1
