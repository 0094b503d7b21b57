"""The Content-Security-Policy header (Django 5.2 has none of its own).

The policy comes from ``ROSTER_CSP``; paths under a prefix of
``ROSTER_CSP_EXTRA_SCRIPT_SOURCES`` add sources to ``script-src`` (the
admin's Alpine.js needs ``'unsafe-eval'``). A response that already carries
the header keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def with_script_sources(policy: str, extra: str) -> str:
    """Return ``policy`` with ``extra`` added to its script-src directive."""
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for n, directive in enumerate(directives):
        if directive.split()[0].lower() == "script-src":
            directives[n] = f"{directive} {extra}"
            break
    else:
        directives.append(f"script-src 'self' {extra}")
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    """Send the configured Content-Security-Policy with every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        policy = settings.ROSTER_CSP.strip()
        self.policy = policy
        self.by_prefix = [
            (prefix, with_script_sources(policy, extra))
            for prefix, extra in settings.ROSTER_CSP_EXTRA_SCRIPT_SOURCES.items()
        ]
        self.header = (
            "Content-Security-Policy-Report-Only"
            if settings.ROSTER_CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and self.header not in response:
            response[self.header] = next(
                (p for prefix, p in self.by_prefix if request.path.startswith(prefix)),
                self.policy,
            )
        return response
