"""Local servers the tests talk to over real sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailSink:
    """An SMTP server's message handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def received(self) -> list[tuple[list[str], bytes]]:
        with self._lock:
            return list(self.messages)

    def recipients(self) -> list[str]:
        return sorted(rcpt for rcpts, _ in self.received() for rcpt in rcpts)


@contextmanager
def mail_server() -> Iterator[tuple[MailSink, int]]:
    """Run a real SMTP server (aiosmtpd) on loopback; yield its sink and port."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()
