from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from assistant.identity import (
    ANONYMOUS,
    BuyerIdentity,
    ConversationBinder,
    ConversationForbidden,
    InvalidToken,
    MalformedConversationId,
    MetadataSigner,
    TokenVerifier,
    UntrustedMetadata,
    mint_token,
)
from assistant.settings import Settings

ANNA = BuyerIdentity("u-1001", "K-10001", frozenset({"buyer"}), "de", "anna@example.de", "Anna Müller")
EMMA = BuyerIdentity("u-3001", "K-10003", frozenset({"buyer"}), "en", "emma@example.at", "Emma Clarke")


@pytest.fixture
def settings() -> Settings:
    return Settings(profile="development")


# --- JWT -------------------------------------------------------------------------------------------------------


def test_hs256_token_round_trip(settings: Settings) -> None:
    token = mint_token(sub="u-1001", customer="K-10001", roles=["buyer", "superuser"], locale="de",
                       name="Anna Müller", settings=settings)
    identity = TokenVerifier(settings).verify(token)
    assert identity.user_id == "u-1001"
    assert identity.customer_id == "K-10001"
    assert identity.roles == frozenset({"buyer"})  # unknown roles are dropped, never trusted
    assert identity.name == "Anna Müller"


def test_expired_token_is_reported_as_expired(settings: Settings) -> None:
    token = mint_token(sub="u-1001", customer="K-10001", roles=["buyer"], ttl_s=-3600, settings=settings)
    with pytest.raises(InvalidToken) as info:
        TokenVerifier(settings).verify(token)
    assert info.value.expired


def test_forged_signature_is_refused(settings: Settings) -> None:
    forged = jwt.encode({"sub": "u-1001", "customer": "K-10002", "roles": ["buyer"], "exp": time.time() + 60},
                        "not-the-secret-but-long-enough-0123456789", algorithm="HS256")
    with pytest.raises(InvalidToken):
        TokenVerifier(settings).verify(forged)


def test_alg_none_is_refused(settings: Settings) -> None:
    unsigned = jwt.encode({"sub": "u-1001", "customer": "K-10001", "exp": time.time() + 60}, None, algorithm="none")
    with pytest.raises(InvalidToken):
        TokenVerifier(settings).verify(unsigned)


def test_token_without_customer_is_refused(settings: Settings) -> None:
    token = jwt.encode({"sub": "u-1001", "exp": time.time() + 60}, settings.jwt_secret.get_secret_value(),
                       algorithm="HS256")
    with pytest.raises(InvalidToken):
        TokenVerifier(settings).verify(token)


def test_garbage_token_is_refused(settings: Settings) -> None:
    for garbage in ("abc", "a.b.c", "x" * 5000, ""):
        with pytest.raises(InvalidToken):
            TokenVerifier(settings).verify(garbage)


def test_rs256_with_the_shops_public_key(tmp_path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path / "shop.pem"
    path.write_bytes(public)
    settings = Settings(jwt_algorithm="RS256", jwt_public_key_file=path)
    claims = {"sub": "u-2001", "customer": "K-10002", "roles": ["buyer"], "iat": int(time.time()),
              "exp": int(time.time()) + 60}
    identity = TokenVerifier(settings).verify(jwt.encode(claims, key, algorithm="RS256"))
    assert identity.customer_id == "K-10002"
    # An HS256 token signed with the public key as secret (algorithm confusion) must not pass.
    with pytest.raises(InvalidToken):
        TokenVerifier(settings).verify(
            jwt.encode(claims, "dev-jwt-secret-change-me-0123456789abcdef", algorithm="HS256")
        )


def _signed(settings: Settings, **claims: object) -> str:
    base = {"sub": "u-1001", "customer": "K-10001", "roles": ["buyer"]}
    return jwt.encode({**base, **claims}, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def test_a_token_must_say_when_it_was_issued_and_live_at_most_the_maximum(settings: Settings) -> None:
    now = int(time.time())
    verifier = TokenVerifier(settings)
    assert verifier.verify(_signed(settings, iat=now, exp=now + 3600)).user_id == "u-1001"  # the default 60 min
    for claims in ({"exp": now + 60},  # no iat
                   {"iat": now, "exp": now + 3601},  # a minute too long
                   {"iat": now - 80_000, "exp": now + 600},  # issued a day ago, still valid: too long-lived
                   {"iat": now + 600, "exp": now + 900}):  # issued in the future
        with pytest.raises(InvalidToken):
            verifier.verify(_signed(settings, **claims))
    shorter = Settings(profile="development", jwt_max_lifetime_s=600)
    with pytest.raises(InvalidToken):
        TokenVerifier(shorter).verify(_signed(shorter, iat=now, exp=now + 900))


def test_issuer_and_audience_are_required_when_configured() -> None:
    settings = Settings(profile="development", jwt_issuer="https://shop.example", jwt_audience="assistant")
    now = int(time.time())
    good = {"iat": now, "exp": now + 60, "iss": "https://shop.example", "aud": "assistant"}
    assert TokenVerifier(settings).verify(_signed(settings, **good)).customer_id == "K-10001"
    assert TokenVerifier(settings).verify(mint_token(sub="u-1", customer="K-1", roles=[], settings=settings))
    for wrong in ({"iss": None}, {"aud": None}, {"aud": "another-app"}, {"iss": "https://evil.example"}):
        claims = {k: v for k, v in {**good, **wrong}.items() if v is not None}
        with pytest.raises(InvalidToken):
            TokenVerifier(settings).verify(_signed(settings, **claims))


# --- conversation binding ----------------------------------------------------------------------------------------


def test_conversation_is_bound_to_its_identity(settings: Settings) -> None:
    binder = ConversationBinder(settings)
    cid = binder.issue(ANNA)
    assert binder.sender_for(cid, ANNA).startswith("c-")
    with pytest.raises(ConversationForbidden):
        binder.sender_for(cid, EMMA)
    with pytest.raises(ConversationForbidden):
        binder.sender_for(cid, ANONYMOUS)


def test_anonymous_conversation_cannot_be_taken_over_by_a_login(settings: Settings) -> None:
    binder = ConversationBinder(settings)
    cid = binder.issue(ANONYMOUS)
    assert binder.sender_for(cid, ANONYMOUS)
    with pytest.raises(ConversationForbidden):
        binder.sender_for(cid, ANNA)


def test_conversation_ids_are_unique_and_server_chosen(settings: Settings) -> None:
    binder = ConversationBinder(settings)
    ids = {binder.issue(ANNA) for _ in range(200)}
    assert len(ids) == 200


@pytest.mark.parametrize("bad", ["", "abc", "a.b", "x" * 22 + "." + "y" * 21, "../../etc/passwd.xxxxxxxxxxxxxxxxxxxxxx",
                                 "' OR 1=1 --.aaaaaaaaaaaaaaaaaaaaaa"])
def test_malformed_conversation_ids(settings: Settings, bad: str) -> None:
    with pytest.raises((MalformedConversationId, ConversationForbidden)):
        ConversationBinder(settings).sender_for(bad, ANNA)


def test_another_secret_does_not_accept_the_id(settings: Settings) -> None:
    cid = ConversationBinder(settings).issue(ANNA)
    other = ConversationBinder(Settings(identity_secret="another-secret-0123456789abcdef"))
    with pytest.raises(ConversationForbidden):
        other.sender_for(cid, ANNA)


# --- signed metadata ---------------------------------------------------------------------------------------------


def test_metadata_round_trip(settings: Settings) -> None:
    signer = MetadataSigner(settings)
    meta = signer.sign(ANNA, sender="c-1", language="de", page={"sku": "3S-1208"})
    assert signer.verify(meta, sender="c-1") == ANNA
    assert signer.verify(signer.sign(ANONYMOUS, sender="c-2", language="en"), sender="c-2").is_anonymous


def test_tampered_metadata_is_refused(settings: Settings) -> None:
    signer = MetadataSigner(settings)
    meta = signer.sign(ANNA, sender="c-1", language="de")
    meta["identity"] = {**meta["identity"], "customer": "K-10002"}
    with pytest.raises(UntrustedMetadata):
        signer.verify(meta, sender="c-1")


def test_metadata_without_signature_is_refused(settings: Settings) -> None:
    signer = MetadataSigner(settings)
    meta = signer.sign(ANNA, sender="c-1", language="de")
    del meta["sig"]
    with pytest.raises(UntrustedMetadata):
        signer.verify(meta, sender="c-1")
    with pytest.raises(UntrustedMetadata):
        signer.verify({}, sender="c-1")
    with pytest.raises(UntrustedMetadata):
        signer.verify(None, sender="c-1")


def test_metadata_of_another_conversation_is_refused(settings: Settings) -> None:
    signer = MetadataSigner(settings)
    meta = signer.sign(ANNA, sender="c-1", language="de")
    with pytest.raises(UntrustedMetadata):
        signer.verify(meta, sender="c-2")


def test_replayed_old_metadata_is_refused(settings: Settings) -> None:
    signer = MetadataSigner(settings)
    meta = signer.sign(ANNA, sender="c-1", language="de", now=time.time() - settings.identity_max_age_s - 5)
    with pytest.raises(UntrustedMetadata):
        signer.verify(meta, sender="c-1")
