"""Rate limits in one place for every worker and replica, and who the client is.

The counts live in one store: Redis when ``ASSISTANT_REDIS_HOST`` is set (the same Redis as Rasa's lock store, so
all workers and replicas share them), else this process's memory (one worker on one machine). Counting is the
``limits`` library's sliding window, so a burst at a window's edge is not counted twice as much; the memory store
keeps at most ``MAX_MEMORY_KEYS`` keys and forgets the least recently used first, so a flood of new clients can
neither exhaust memory nor (as the old hand-rolled buckets did at 50k keys) reset everybody's count, the admin
login's included. In Redis keys expire with their window; give its ``maxmemory-policy`` ``allkeys-lru``.

Keys: a logged-in identity is counted as that identity and as its client; an anonymous visitor as its client. A
client is its IP address, IPv6 grouped per /64 (one subscriber gets a whole /64, so counting single addresses
would give them 2^64 budgets). Keys are hashed: the store holds no addresses or user ids.

When the store cannot be reached, requests are let through and a warning is logged: an outage of Redis already
stops Rasa's lock store, and refusing every turn on top would only hide the real fault.

The client address is the socket's, unless the socket is a configured trusted proxy (``ASSISTANT_TRUSTED_PROXIES``);
then it is the right-most ``X-Forwarded-For`` entry that is not itself a trusted proxy. A spoofed header from
anyone else changes nothing. (uvicorn's own proxy-header rewriting is switched off for this reason.)
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
import time
from collections import OrderedDict
from functools import lru_cache

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from assistant.settings import Settings

log = logging.getLogger(__name__)

MAX_MEMORY_KEYS = 100_000
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class LruMemoryStorage(MemoryStorage):
    """The ``limits`` memory store with a key cap: beyond it, the least recently used limit is forgotten."""

    def __init__(self, max_keys: int = MAX_MEMORY_KEYS) -> None:
        super().__init__()
        self.max_keys = max_keys
        self._recent: OrderedDict[str, int] = OrderedDict()
        self._recent_lock = threading.Lock()

    def _touch(self, key: str, expiry: int) -> None:
        with self._recent_lock:
            self._recent[key] = expiry
            self._recent.move_to_end(key)
            evicted = [self._recent.popitem(last=False) for _ in range(len(self._recent) - self.max_keys)]
        for old_key, old_expiry in evicted:
            self.clear_sliding_window(old_key, old_expiry)

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        self._touch(key, expiry)
        return bool(super().acquire_sliding_window_entry(key, limit, expiry, amount))

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        self._touch(key, expiry)  # a refused request is a use too: a throttled client stays remembered
        return super().get_sliding_window(key, expiry)

    def known_keys(self) -> int:
        return len(self._recent)


def _networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip()]


def _address(value: str) -> Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: Request, settings: Settings) -> Address | None:
    """The client's address: the socket's, or through configured trusted proxies the forwarded one."""
    peer = _address(request.client.host) if request.client else None
    trusted = _networks(settings.trusted_proxies)
    if peer is None or not any(peer in net for net in trusted):
        return peer
    hops = [h for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops[-20:]):  # right-most first: each trusted proxy appends the address it saw
        address = _address(hop)
        if address is None:
            return peer  # a garbled chain is the proxy's client, as far as we can tell
        if not any(address in net for net in trusted):
            return address
    return peer


def client_group(address: Address | None) -> str:
    """IPv4 as is, IPv6 by its /64: the unit one subscriber gets."""
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def is_loopback_client(request: Request, settings: Settings) -> bool:
    address = client_address(request, settings)
    if address is None:
        return request.client is not None and request.client.host == "testclient"
    return address.is_loopback


class RateLimits:
    """One surface's limits (chat, feedback, admin login) over the shared store."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.window = SlidingWindowCounterRateLimiter(storage)

    @staticmethod
    def key(scope: str, value: str) -> str:
        return f"{scope}:" + hashlib.sha256(f"{scope}|{value}".encode()).hexdigest()[:32]

    def wait(self, *checks: tuple[str, str]) -> float:
        """0 when the request is within every (rule, key) and is counted against each, else seconds to wait."""
        items = [(_parsed(rule), key) for rule, key in checks]
        try:
            blocked = [(item, key) for item, key in items if not self.window.test(item, key)]
            if not blocked:
                if all(self.window.hit(item, key) for item, key in items):
                    return 0.0
                blocked = items
            reset = max(self.window.get_window_stats(item, key).reset_time for item, key in blocked)
        except Exception as exc:  # the store is down: serve rather than refuse every user
            log.warning("rate-limit store unavailable (%s); request allowed", type(exc).__name__)
            return 0.0
        return max(1.0, reset - time.time())

    def used_up(self, rule: str, key: str) -> bool:
        """True when the limit of this key is used up (nothing is counted)."""
        try:
            return not self.window.test(_parsed(rule), key)
        except Exception as exc:
            log.warning("rate-limit store unavailable (%s)", type(exc).__name__)
            return False

    def count(self, rule: str, key: str) -> None:
        """Count one event (a failed login) whether or not it was within the limit."""
        try:
            self.window.hit(_parsed(rule), key)
        except Exception as exc:
            log.warning("rate-limit store unavailable (%s)", type(exc).__name__)


@lru_cache(maxsize=64)
def _parsed(rule: str) -> RateLimitItem:
    return parse(rule)


def make_limits(settings: Settings) -> RateLimits:
    """Limits over Redis when configured (shared by every worker and replica), else over this process's memory."""
    url = settings.shared_store_url
    if url is None:
        return RateLimits(LruMemoryStorage())
    storage = storage_from_string(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    assert isinstance(storage, Storage)  # a redis:// URL gives the synchronous store
    return RateLimits(storage)


CLIENT_FACTOR = 5  # a logged-in person's client (often an office behind one address) may send this many times more


def request_checks(request: Request, settings: Settings, identity_key: str | None, scope: str,
                   per_minute: int) -> list[tuple[str, str]]:
    """What one request counts against: its client, and its identity when logged in."""
    client = RateLimits.key(f"{scope}-client", client_group(client_address(request, settings)))
    if identity_key is None:
        return [(f"{per_minute}/minute", client)]
    return [(f"{per_minute}/minute", RateLimits.key(f"{scope}-id", identity_key)),
            (f"{per_minute * CLIENT_FACTOR}/minute", client)]
