"""Custom NLU component, loaded by Rasa from config.yml (the Rasa environment imports it; keep it small)."""

from __future__ import annotations

import json
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from assistant.routing import misrouted_question

_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_EMAIL_ONLY = re.compile(r"^\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*[.!]?\s*$", re.UNICODE)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsFallback(GraphComponent):
    """Route a message to ``nlu_fallback`` when not one of its words occurs in the training data; read a bare
    e-mail address as ``inform`` (an answer to a question), whatever the classifier made of its words; send a
    question that was filed under the finder, a price list, a quick order, a call-back or a quote request to
    ``ask_knowledge`` when it names none of the buyer's own things (assistant/routing.py).

    DIET spreads its confidence over the intents it knows, so keyboard mashing ("xqz vbnm plok") often lands on
    some intent with high confidence. A message with no known word and no extracted entity cannot have been
    understood, whatever the classifier says. Messages with article or order numbers (entities) are left alone.
    """

    def __init__(self, config: dict[str, Any], storage: ModelStorage, resource: Resource,
                 vocabulary: set[str] | None = None) -> None:
        self._storage, self._resource = storage, resource
        self._vocabulary = vocabulary or set()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> UnknownWordsFallback:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> UnknownWordsFallback:
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            words = []
        return cls(config, model_storage, resource, set(words))

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary: set[str] = set()
        for example in training_data.training_examples:
            vocabulary.update(w.lower() for w in _WORD.findall(example.get("text") or ""))
        self._vocabulary = vocabulary
        with self._storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(json.dumps(sorted(vocabulary)), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get("text") or ""
            if _EMAIL_ONLY.match(text):
                # A bare e-mail address answers a question (the RFQ's "which e-mail?"); DIET sometimes read the
                # words of its domain ("zwick-armaturen.de") as a product question and the form asked again.
                self._set_intent(message, "inform")
                continue
            words = [w.lower() for w in _WORD.findall(text)]
            if text.startswith("/") or not words:
                continue
            if not message.get("entities") and not any(w in self._vocabulary for w in words):
                self._set_intent(message, "nlu_fallback")
                continue
            if misrouted_question(text, (message.get("intent") or {}).get("name") or ""):
                # "Welche CAD-Formate gibt es?" is no price list, "Kann mir jemand sagen, ob …?" no call-back
                # request: a question that names nothing of the buyer's own goes to the knowledge base.
                self._set_intent(message, "ask_knowledge")
        return messages

    @staticmethod
    def _set_intent(message: Message, name: str) -> None:
        intent = {"name": name, "confidence": 1.0}
        message.set("intent", intent, add_to_output=True)
        ranking = [r for r in message.get("intent_ranking") or [] if r.get("name") != name]
        message.set("intent_ranking", [intent, *ranking], add_to_output=True)
