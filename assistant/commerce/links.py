"""Signed, expiring download links for account documents.

The token carries document id, account and expiry, signed with HMAC-SHA256 (settings.link_secret).
A link is a bearer credential for ``link_ttl_s`` seconds only, and the download route re-checks that the
document still belongs to the account, so a link outlives neither its TTL nor a change of ownership.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass

from assistant import clock as _clock
from assistant.errors import PermissionDenied
from assistant.settings import Settings, get_settings

MAX_TOKEN_LENGTH = 400


class LinkInvalid(PermissionDenied):
    """Malformed or tampered token (HTTP 403)."""

    code = "link_invalid"


class LinkExpired(PermissionDenied):
    """Authentic but past its expiry (HTTP 410)."""

    code = "link_expired"


@dataclass(frozen=True)
class LinkClaims:
    document_id: str
    customer_id: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    def __init__(self, settings: Settings | None = None, clock: Callable[[], float] | None = None):
        self.settings = settings or get_settings()
        self._clock = clock or (lambda: _clock.timestamp(self.settings))

    def _now(self) -> int:
        return int(self._clock())

    def _sig(self, body: str) -> str:
        key = self.settings.link_secret.get_secret_value().encode()
        return _b64(hmac.new(key, b"doc-link|" + body.encode(), hashlib.sha256).digest())

    def sign(self, document_id: str, customer_id: str, ttl_s: int | None = None) -> str:
        expires = self._now() + (ttl_s if ttl_s is not None else self.settings.link_ttl_s)
        body = _b64(json.dumps({"d": document_id, "c": customer_id, "e": expires}, separators=(",", ":")).encode())
        return f"{body}.{self._sig(body)}"

    def url(self, document_id: str, customer_id: str) -> str:
        return f"{self.settings.public_url.rstrip('/')}/api/documents/{self.sign(document_id, customer_id)}"

    def verify(self, token: str) -> LinkClaims:
        """Check signature first (403), then expiry (410); never trust the payload before the signature."""
        if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
            raise LinkInvalid("malformed token")
        body, sig = token.split(".")
        if not hmac.compare_digest(sig.encode(), self._sig(body).encode()):
            raise LinkInvalid("bad signature")
        try:
            data = json.loads(_unb64(body))
            claims = LinkClaims(str(data["d"]), str(data["c"]), int(data["e"]))
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise LinkInvalid("bad payload") from exc
        if claims.expires_at < self._now():
            raise LinkExpired("link expired")
        return claims
