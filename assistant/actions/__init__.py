"""Rasa custom actions, one module per business capability. rasa-sdk registers every concrete Action here."""

from assistant.actions import (
    approvals,  # noqa: F401
    core,  # noqa: F401  (registration by import)
    documents,  # noqa: F401
    finder,  # noqa: F401
    handoff,  # noqa: F401
    knowledge,  # noqa: F401
    orders,  # noqa: F401
    prices,  # noqa: F401
    quickorder,  # noqa: F401
    reorder,  # noqa: F401
    rfq,  # noqa: F401
)
