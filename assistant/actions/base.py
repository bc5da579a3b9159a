"""What every action shares: the verified identity and language of the turn, replies, and the error contract.

Actions are thin: they read slots and the verified identity, call a service, and choose a reply. Services raise
typed errors (``assistant.errors``); this base class turns them into a reply in the user's language, so raw error
text never reaches a user.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from assistant import i18n, observability
from assistant.commerce.repository import get_repository
from assistant.errors import BackendUnavailable, InvalidInput, NotFound, PermissionDenied
from assistant.identity import ANONYMOUS, BuyerIdentity, UntrustedMetadata, get_signer
from assistant.settings import get_settings

log = logging.getLogger(__name__)

Events = list[dict[str, Any]]


@dataclass(frozen=True)
class Turn:
    """The verified facts about the current turn."""

    identity: BuyerIdentity = ANONYMOUS
    language: str = "de"
    page: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None


def with_contact(identity: BuyerIdentity) -> BuyerIdentity:
    """E-mail and name, from the user directory: the gateway keeps them out of the tracker (tests/production)."""
    if identity.is_anonymous or (identity.email and identity.name):
        return identity
    try:
        user = get_repository().get_user(identity.customer_id or "", identity.user_id or "")
    except Exception:  # greeting by name and prefilled contact data are conveniences
        log.warning("could not read the user's contact data", exc_info=True)
        return identity
    if user is None:
        return identity
    return BuyerIdentity(identity.user_id, identity.customer_id, identity.roles, identity.locale,
                         identity.email or user.email, identity.name or user.name)


def turn_from_tracker(tracker: Tracker) -> Turn:
    """Verify the signed metadata of the latest user message; raise UntrustedMetadata if it does not check out."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    identity = with_contact(get_signer().verify(metadata, sender=tracker.sender_id))
    language = metadata.get("language") if metadata.get("language") in ("de", "en") else identity.locale
    page = metadata.get("page") if isinstance(metadata.get("page"), dict) else {}
    return Turn(identity=identity, language=language, page=page, request_id=metadata.get("request_id"))


class Reply:
    """Builds chat API messages for the dispatcher in the turn's language."""

    def __init__(self, dispatcher: CollectingDispatcher, language: str):
        self.dispatcher, self.language = dispatcher, language

    def key(self, key: str, **params: Any) -> None:
        self.dispatcher.utter_message(json_message=i18n.render(key, self.language, params))

    def t(self, key: str, **params: Any) -> str:
        return i18n.t(key, self.language, **params)

    def text(self, text: str) -> None:
        self.dispatcher.utter_message(json_message={"type": "text", "text": text})

    def buttons(self, text: str, buttons: Iterable[tuple[str, str]]) -> None:
        self.dispatcher.utter_message(
            json_message={
                "type": "buttons",
                "text": text,
                "buttons": [{"title": title, "payload": payload} for title, payload in buttons],
            }
        )

    def items(self, kind: str, items: list[dict[str, Any]], text: str | None = None) -> None:
        message: dict[str, Any] = {"type": kind, "items": items}
        if text:
            message["text"] = text
        self.dispatcher.utter_message(json_message=message)

    def raw(self, message: Mapping[str, Any]) -> None:
        self.dispatcher.utter_message(json_message=dict(message))

    def mark(self, flow: str, event: str) -> None:
        """Tell the gateway's analytics that a flow started or finished (docs/architecture.md, "_analytics").

        The marker rides on the message just sent, as a private key the gateway strips; with none sent yet it
        goes alone, and the gateway drops the empty message.
        """
        marker = {"kind": "flow", "flow": flow, "event": event}
        custom = self.dispatcher.messages[-1].get("custom") if self.dispatcher.messages else None
        if not isinstance(custom, dict):
            self.raw({"_analytics": marker})
            return
        earlier = custom.get("_analytics")
        custom["_analytics"] = marker if earlier is None else [*(earlier if isinstance(earlier, list) else [earlier]),
                                                               marker]


class AssistantAction(Action, abc.ABC):
    """Base of all actions: verifies identity, enforces login and roles, maps service errors to replies."""

    requires_login: bool = False
    required_roles: frozenset[str] = frozenset()

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], turn: Turn, reply: Reply
    ) -> Events: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        with observability.action_span(self.name(), tracker):  # request id, timing, log line
            return await self._run(dispatcher, tracker, domain)

    async def _run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> Events:
        try:
            turn = turn_from_tracker(tracker)
        except UntrustedMetadata as exc:
            log.warning("refusing action %s: %s", self.name(), exc)
            metadata = (tracker.latest_message or {}).get("metadata") or {}
            language = metadata.get("language") if metadata.get("language") in ("de", "en") else "de"
            Reply(dispatcher, language).key("identity_unverified")
            return []
        reply = Reply(dispatcher, turn.language)
        if await self.answered_elsewhere(tracker, turn, reply):
            return []
        if self.requires_login and turn.identity.is_anonymous:
            reply.key("login_required", portal_url=get_settings().portal_url)
            return []
        if self.required_roles and not (self.required_roles & turn.identity.roles):
            reply.key("role_missing", roles=role_names(turn.identity.roles, turn.language))
            return []
        try:
            return await self.handle(dispatcher, tracker, domain, turn, reply)
        except NotFound:
            reply.key(self.not_found_key)
        except PermissionDenied:
            reply.key("role_missing", roles=role_names(turn.identity.roles, turn.language))
        except InvalidInput:
            reply.key(self.invalid_input_key)
        except BackendUnavailable:
            log.exception("backend unavailable in %s", self.name())
            reply.key("backend_unavailable")
        except Exception:
            log.exception("action %s failed", self.name())
            reply.key("internal_error")
        return []

    not_found_key = "internal_error"
    invalid_input_key = "internal_error"

    async def answered_elsewhere(self, tracker: Tracker, turn: Turn, reply: Reply) -> bool:
        """A hook before login and role checks: True when the turn was answered otherwise (see knowledge_turn)."""
        return False


def role_names(roles: Iterable[str], language: str) -> str:
    names = [i18n.t(f"role_{r}", language) for r in sorted(roles) if i18n.has(f"role_{r}")]
    joiner = " und " if language == "de" else " and "
    return joiner.join(names) or ("Gast" if language == "de" else "guest")
