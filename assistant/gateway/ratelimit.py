"""A per-key token bucket (per identity, else per client IP), kept in process memory.

Per process is enough on one machine; behind a load balancer each replica limits its share.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, per_minute: int, burst: int | None = None, max_keys: int = 50_000):
        self.rate = per_minute / 60.0
        self.capacity = float(burst or max(5, per_minute // 3))
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def check(self, key: str, now: float | None = None) -> float:
        """0 when allowed (and consumed), else the seconds to wait."""
        t = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._buckets.clear()
                bucket = self._buckets[key] = _Bucket(self.capacity, t)
            bucket.tokens = min(self.capacity, bucket.tokens + (t - bucket.updated) * self.rate)
            bucket.updated = t
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate
