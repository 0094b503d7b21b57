"""Per-client request budget: a fixed window counted in the cache.

With the default per-process cache each web process counts on its own; set
CACHE_URL to Redis so that every process shares one count.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """Return (requests, window seconds) for a rate such as ``600/m``."""
    count, _, unit = rate.strip().partition("/")
    unit = unit.strip().lower() or "m"
    number = ""
    while unit and unit[0].isdigit():
        number, unit = number + unit[0], unit[1:]
    seconds = _UNITS.get(unit)
    if not count.strip().isdigit() or seconds is None:
        raise ValueError(f"“{rate}” is not a rate such as 600/m.")
    return int(count), seconds * (int(number) if number else 1)


def hit(client_id: int) -> int | None:
    """Count one request; return the seconds to wait if over the budget, else None."""
    rate = getattr(settings, "ROSTER_SCIM_RATE_LIMIT", "")
    if not rate:
        return None
    limit, window = parse_rate(rate)
    now = time.time()
    start = int(now // window) * window
    key = f"scim_server:rate:{client_id}:{start}"
    if cache.add(key, 1, window + 1):
        used = 1
    else:
        try:
            used = cache.incr(key)
        except ValueError:
            cache.set(key, 1, window + 1)
            used = 1
    if used > limit:
        return max(1, int(start + window - now + 0.999))
    return None
