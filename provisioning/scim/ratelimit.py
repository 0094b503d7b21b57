"""A per-target request rate limit shared by every worker, kept in Django's cache.

Each target gets short fixed windows (at least 100 ms, at least one request
each); every request increments the current window's counter with the
cache's atomic ``incr`` and sleeps to the next window when it is full. With
Redis as the cache (``CACHE_URL=redis://…``) the limit holds across all
worker processes and machines; with the default local-memory cache it holds
per process only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.core.cache import cache


def acquire(
    key: str,
    rate: float,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Block until one request to ``key`` fits within ``rate`` requests per second."""
    window = max(0.1, 1.0 / rate)
    capacity = max(1, int(rate * window))
    while True:
        now = clock()
        slot = int(now // window)
        name = f"scim:rate:{key}:{slot}"
        cache.add(name, 0, timeout=int(window) + 2)
        try:
            used = cache.incr(name)
        except ValueError:  # expired between add and incr
            continue
        if used <= capacity:
            return
        sleep((slot + 1) * window - now + random.uniform(0, window / 10))


def limiter(key: str, rate: float) -> Callable[[], None]:
    """Return a callable that waits for the next permitted request."""

    def wait() -> None:
        acquire(key, rate)

    return wait
