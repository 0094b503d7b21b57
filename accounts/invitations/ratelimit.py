"""Fixed-window rate limits in Django's cache, written in allauth's notation.

A rate reads ``amount/period[/per]``: ``10/h/ip`` or ``3/15m/key``; several are
separated by commas. ``per`` is ``ip`` (the default) or ``key`` (the email).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int
    per: str


def parse_rates(text: str) -> list[Rate]:
    """Parse ``"10/h/ip,3/h/key"``; an empty string means no limit."""
    rates = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        amount, period, *rest = part.split("/")
        per = rest[0] if rest else "ip"
        count = int(period[:-1] or 1)
        rates.append(Rate(int(amount), count * _UNITS[period[-1]], per))
    return rates


def consume(scope: str, rates: str, *, ip: str, key: str = "") -> bool:
    """Count one request against every rate; return False once any is exceeded."""
    allowed = True
    for rate in parse_rates(rates):
        subject = ip if rate.per == "ip" else key.strip().lower()
        digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]
        cache_key = f"roster:rl:{scope}:{rate.per}:{rate.amount}/{rate.seconds}:{digest}"
        cache.add(cache_key, 0, timeout=rate.seconds)
        try:
            used = cache.incr(cache_key)
        except ValueError:
            # Expired between add() and incr(): start a new window.
            cache.set(cache_key, 1, timeout=rate.seconds)
            used = 1
        if used > rate.amount:
            allowed = False
    return allowed


def longest_window(rates: str) -> int:
    """Return the longest window in ``rates``, in seconds (0 when there is none).

    A refused request may have to wait that long before one is allowed again.
    """
    return max((rate.seconds for rate in parse_rates(rates)), default=0)
