"""The token bucket, on a fake clock."""

from __future__ import annotations

import pytest

from channels.email.ratelimit import RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_bursts_to_the_per_second_rate_then_holds_it() -> None:
    clock = Clock()
    limit = RateLimit(10, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        limit.acquire()
    assert clock.slept == []
    for _ in range(20):
        limit.acquire()
    assert clock.now - 100.0 == pytest.approx(2.0)


def test_the_hourly_limit_binds_too() -> None:
    clock = Clock()
    limit = RateLimit(10_000, 360, clock=clock, sleep=clock.sleep)
    for _ in range(360):
        limit.acquire()
    start = clock.now
    limit.acquire()
    # One message per 10 s at 360 an hour, less the refill while the first 360 went.
    assert clock.now - start == pytest.approx(10.0, abs=0.01)


def test_a_batch_larger_than_the_bucket_waits_its_share() -> None:
    clock = Clock()
    limit = RateLimit(10, clock=clock, sleep=clock.sleep)
    limit.acquire(50)  # takes the full bucket and goes 40 into debt
    limit.acquire(10)
    assert clock.now - 100.0 == pytest.approx(5.0)


def test_no_limit_never_waits() -> None:
    clock = Clock()
    limit = RateLimit(clock=clock, sleep=clock.sleep)
    assert limit.unlimited
    for _ in range(10_000):
        limit.acquire()
    assert clock.slept == []
