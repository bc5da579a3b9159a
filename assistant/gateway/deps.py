"""Reusable request dependencies: who is calling, and the shared services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from assistant.gateway.errors import ApiError, request_language
from assistant.identity import ANONYMOUS, BuyerIdentity, InvalidToken, get_token_verifier
from assistant.settings import Settings, get_settings


def current_identity(request: Request) -> BuyerIdentity:
    """The verified identity of the bearer token, or anonymous when there is none."""
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    language = request_language(request)
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "token_invalid", language)
    try:
        return get_token_verifier().verify(token.strip())
    except InvalidToken as exc:
        raise ApiError(401, "token_expired" if exc.expired else "token_invalid", language) from exc


Identity = Annotated[BuyerIdentity, Depends(current_identity)]
AppSettings = Annotated[Settings, Depends(get_settings)]
