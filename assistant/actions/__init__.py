"""Rasa custom actions, one module per business capability. rasa-sdk registers every concrete Action here."""

from assistant.actions import core  # noqa: F401  (registration by import)
