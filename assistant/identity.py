"""Who is talking: the shop's JWT, conversation binding and the signed identity Rasa carries.

Three mechanisms, one secret each:
- the shop's JWT (HS256 with ``jwt_secret`` in development, RS256 with the shop's public key in production);
- conversation ids issued by the gateway and bound by HMAC to the identity that started them, so the id needs
  no server-side table and any replica can check it;
- the identity passed to Rasa as metadata with an HMAC (``identity_secret``), which actions verify before they trust
  it: Rasa's REST channel would accept any metadata, so the signature is what makes it trustworthy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jwt

from assistant import clock
from assistant.settings import Settings, get_settings

KNOWN_ROLES = frozenset({"buyer", "approver", "technician"})
LOCALES = ("de", "en")


@dataclass(frozen=True)
class BuyerIdentity:
    user_id: str | None = None
    customer_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    locale: str = "de"
    email: str | None = None
    name: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def binding_key(self) -> str:
        """What a conversation is bound to: the user within their account, or 'anonymous'."""
        return "anonymous" if self.is_anonymous else f"{self.user_id}|{self.customer_id}"

    def without_contact(self) -> BuyerIdentity:
        """Who, without how to reach them: what the gateway signs into Rasa's tracker events, which are kept for the
        retention period with every turn. Actions read e-mail and name from the user directory when they need them."""
        return BuyerIdentity(self.user_id, self.customer_id, self.roles, self.locale, None, None)

    def to_claims(self) -> dict[str, Any] | None:
        if self.is_anonymous:
            return None
        claims = {"sub": self.user_id, "customer": self.customer_id, "roles": sorted(self.roles), "locale": self.locale}
        return {**claims, **{k: v for k, v in (("email", self.email), ("name", self.name)) if v is not None}}

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> BuyerIdentity:
        if not claims:
            return ANONYMOUS
        sub, customer = claims.get("sub"), claims.get("customer")
        if not isinstance(sub, str) or not sub or not isinstance(customer, str) or not customer:
            raise InvalidToken("token lacks sub or customer")
        raw_roles = claims.get("roles") or []
        if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
            raise InvalidToken("roles must be a list of strings")
        locale = claims.get("locale") if claims.get("locale") in LOCALES else "de"
        email, name = claims.get("email"), claims.get("name")
        return cls(
            user_id=sub[:64],
            customer_id=customer[:64],
            roles=frozenset(raw_roles) & KNOWN_ROLES,
            locale=str(locale),
            email=email[:254] if isinstance(email, str) else None,
            name=name[:120] if isinstance(name, str) else None,
        )


ANONYMOUS = BuyerIdentity()


class InvalidToken(Exception):
    """The bearer token is malformed, forged or expired (message is for logs)."""

    def __init__(self, reason: str, expired: bool = False):
        super().__init__(reason)
        self.expired = expired


class UntrustedMetadata(Exception):
    """Identity metadata whose signature, sender or age does not check out."""


class ConversationForbidden(Exception):
    """A conversation id that was issued to another identity (or never issued)."""


class MalformedConversationId(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class TokenVerifier:
    def __init__(self, settings: Settings | None = None):
        self._settings = settings or get_settings()
        s = self._settings
        if s.jwt_algorithm == "RS256":
            if s.jwt_public_key_file is None:
                raise ValueError("ASSISTANT_JWT_PUBLIC_KEY_FILE is required for RS256")
            self._key: Any = s.jwt_public_key_file.read_text()
        else:
            self._key = s.jwt_secret.get_secret_value()

    def verify(self, token: str) -> BuyerIdentity:
        """The identity of a valid token: signed with the one configured algorithm, not expired, issued (``iat``)
        at most ``jwt_max_lifetime_s`` before it expires and not in the future, with ``iss``/``aud`` when set
        (production requires both). A long-lived token stolen from a browser would otherwise work for days."""
        s = self._settings
        if len(token) > 4096:
            raise InvalidToken("token too long")
        required = ["exp", "iat", "sub"] + [c for c, v in (("iss", s.jwt_issuer), ("aud", s.jwt_audience)) if v]
        options = {"require": required, "verify_aud": s.jwt_audience is not None}
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[s.jwt_algorithm],  # never trust the token's own alg header
                audience=s.jwt_audience,
                issuer=s.jwt_issuer,
                leeway=s.jwt_leeway_s,
                options=options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired", expired=True) from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"token rejected: {type(exc).__name__}") from exc
        issued, expires = claims.get("iat"), claims.get("exp")
        if not isinstance(issued, int | float) or not isinstance(expires, int | float):
            raise InvalidToken("iat and exp must be numbers")
        if expires - issued > s.jwt_max_lifetime_s:
            raise InvalidToken(f"token lives longer than {s.jwt_max_lifetime_s} s")
        if issued > time.time() + s.jwt_leeway_s:  # the shop's tokens follow the real clock (see clock.py)
            raise InvalidToken("token issued in the future")
        return BuyerIdentity.from_claims(claims)


def mint_token(
    *,
    sub: str,
    customer: str,
    roles: Iterable[str],
    locale: str = "de",
    email: str | None = None,
    name: str | None = None,
    ttl_s: int = 3600,
    settings: Settings | None = None,
) -> str:
    """Issue an HS256 token as the shop would (development and tests only)."""
    s = settings or get_settings()
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub, "customer": customer, "roles": sorted(roles), "locale": locale,
        "iat": now, "exp": now + ttl_s,
    }
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    if s.jwt_issuer:
        claims["iss"] = s.jwt_issuer
    if s.jwt_audience:
        claims["aud"] = s.jwt_audience
    return jwt.encode(claims, s.jwt_secret.get_secret_value(), algorithm="HS256")


class ConversationBinder:
    """Conversation ids of the form ``<random>.<mac>``, the MAC binding the random part to an identity."""

    RANDOM_BYTES = 16

    def __init__(self, settings: Settings | None = None):
        self._secret = (settings or get_settings()).identity_secret.get_secret_value().encode()

    def _mac(self, nonce: str, identity: BuyerIdentity) -> str:
        msg = f"conversation|{nonce}|{identity.binding_key}".encode()
        return _b64(hmac.new(self._secret, msg, hashlib.sha256).digest()[:16])

    def issue(self, identity: BuyerIdentity) -> str:
        nonce = _b64(secrets.token_bytes(self.RANDOM_BYTES))
        return f"{nonce}.{self._mac(nonce, identity)}"

    def sender_for(self, conversation_id: str, identity: BuyerIdentity) -> str:
        """Return the Rasa sender id for a conversation, if this identity may use it."""
        nonce, sep, mac = conversation_id.partition(".")
        if not sep or len(nonce) != 22 or len(mac) != 22 or not (nonce + mac).replace("-", "").replace(
            "_", ""
        ).isalnum():
            raise MalformedConversationId("malformed conversation id")
        if not hmac.compare_digest(mac, self._mac(nonce, identity)):
            raise ConversationForbidden("conversation belongs to another identity")
        return f"c-{nonce}"


class MetadataSigner:
    """Signs and verifies the identity metadata that travels through Rasa to the actions."""

    def __init__(self, settings: Settings | None = None):
        s = settings or get_settings()
        self._secret = s.identity_secret.get_secret_value().encode()
        self._max_age = s.identity_max_age_s

    def _sig(self, body: Mapping[str, Any]) -> str:
        return hmac.new(self._secret, _canonical(body), hashlib.sha256).hexdigest()

    def sign(
        self,
        identity: BuyerIdentity,
        *,
        sender: str,
        language: str,
        page: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        client: str | None = None,
        now: float | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "identity": identity.to_claims(),
            "language": language,
            "page": dict(page or {}),
            "sender": sender,
            "ts": int(now if now is not None else clock.timestamp()),
        }
        if request_id:
            body["request_id"] = request_id
        if client:
            body["client"] = client  # a keyed hash of the client's network (never its address), for daily caps
        return {**body, "sig": self._sig(body)}

    def client_tag(self, network: str) -> str:
        """A keyed hash of the client's network: the same all day on every replica, no address in the tracker."""
        return hmac.new(self._secret, f"client|{network}".encode(), hashlib.sha256).hexdigest()[:20]

    def verify(self, metadata: Mapping[str, Any] | None, *, sender: str, now: float | None = None) -> BuyerIdentity:
        if not metadata or not isinstance(metadata, Mapping):
            raise UntrustedMetadata("no metadata")
        body = {k: v for k, v in metadata.items() if k != "sig"}
        sig = metadata.get("sig")
        if not isinstance(sig, str) or not hmac.compare_digest(sig, self._sig(body)):
            raise UntrustedMetadata("bad signature")
        if body.get("sender") != sender:
            raise UntrustedMetadata("metadata of another conversation")
        ts = body.get("ts")
        current = now if now is not None else clock.timestamp()
        if not isinstance(ts, int) or current - ts > self._max_age or ts - current > 60:
            raise UntrustedMetadata("metadata too old")
        try:
            return BuyerIdentity.from_claims(body.get("identity"))
        except InvalidToken as exc:
            raise UntrustedMetadata(str(exc)) from exc


@lru_cache(maxsize=1)
def get_token_verifier() -> TokenVerifier:
    return TokenVerifier()


@lru_cache(maxsize=1)
def get_binder() -> ConversationBinder:
    return ConversationBinder()


@lru_cache(maxsize=1)
def get_signer() -> MetadataSigner:
    return MetadataSigner()
