"""A token-bucket rate limit shared by every connection of one dispatch.

Providers and receiving servers cap how fast one sender may go (messages
per second, per hour); going faster earns 421s, 429s and a worse
reputation. One ``RateLimit`` holds two buckets; ``acquire(n)`` blocks until
both have *n* tokens. Each bucket starts full, so a dispatch may burst up to
its per-second rate, then settles at the rate. A rate of 0 means no limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateLimit", "TokenBucket"]


class TokenBucket:
    """*rate* tokens per *period* seconds, holding at most *rate* (not thread-safe alone)."""

    def __init__(self, rate: float, period: float, now: float) -> None:
        self.capacity = float(rate)
        self.per_second = rate / period
        self.tokens = self.capacity
        self.stamp = now

    def wait_for(self, n: float, now: float) -> float:
        """Seconds until *n* tokens are there (0.0: take them now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        # More than the bucket holds can never be there at once: wait for a full bucket.
        missing = min(n, self.capacity) - self.tokens
        # A float hair short must not become a sleep too short to move the clock.
        return 0.0 if missing <= 1e-9 else missing / self.per_second

    def take(self, n: float) -> None:
        self.tokens -= n


class RateLimit:
    """Messages per second and per hour, for all threads of one dispatch."""

    def __init__(self, per_second: float = 0.0, per_hour: int = 0, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        now = clock()
        self._buckets = [b for b in (
            TokenBucket(per_second, 1.0, now) if per_second > 0 else None,
            TokenBucket(per_hour, 3600.0, now) if per_hour > 0 else None,
        ) if b is not None]
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return not self._buckets

    def acquire(self, n: int = 1) -> None:
        """Block until *n* messages may go; callers queue in turn behind the lock."""
        if not self._buckets or n <= 0:
            return
        with self._lock:
            while True:
                now = self._clock()
                wait = max(b.wait_for(n, now) for b in self._buckets)
                if wait <= 0:
                    for bucket in self._buckets:
                        bucket.take(n)
                    return
                self._sleep(wait)
