"""Plain-language reasons for failures to reach a provider or target.

HTTP libraries (httpx, requests, httplib2) wrap socket, DNS and TLS errors
in their own types with text such as "[SSL: CERTIFICATE_VERIFY_FAILED]" or
"[Errno -2] Name or service not known". Administrators get what to fix
instead; the library's text stays in the log (the exception chain).
"""

from __future__ import annotations

import socket
import ssl


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        seen.extend(a for a in current.args if isinstance(a, BaseException))
        current = current.__cause__ or current.__context__
    return seen


def explain_unreachable(exc: BaseException, service: str) -> str:
    """Say why ``service`` could not be reached and what to check, for ``exc``."""
    chain = _chain(exc)
    # ``service`` opens some sentences and sits inside others.
    opening = service[:1].upper() + service[1:]
    text = " ".join(str(e) for e in chain).lower()
    names = " ".join(type(e).__name__.lower() for e in chain)
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or (
        "certificate_verify_failed" in text or "certificate verify failed" in text
    ):
        return (
            f"{opening} presented a TLS certificate Roster does not trust: check the "
            "address, or give the CA bundle that signed the certificate."
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "ssl" in names or "[ssl" in text:
        return (
            f"A secure (TLS) connection to {service} could not be set up: check that the "
            "address starts with https:// only if the server speaks TLS, and its port."
        )
    if (
        any(isinstance(e, (TimeoutError, socket.timeout)) for e in chain)
        or "timeout" in names
        or "timed out" in text
    ):
        return (
            f"{opening} did not answer in time: check that the address is right and the "
            "server is up, then try again."
        )
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        hint in text
        for hint in ("name or service not known", "nodename nor servname", "getaddrinfo")
    ):
        return f"The host name of {service} could not be found: check the address."
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text:
        return (
            f"{opening} refused the connection: check the address and port, and that the "
            "server is running."
        )
    return (
        f"{opening} could not be reached: check the address and the network between "
        "Roster and it, then try again."
    )
