"""Typed errors shared by services. Actions and routers turn them into user-facing replies.

The message of an exception is for logs only; users get a translated text chosen by ``code``.
"""

from __future__ import annotations


class AssistantError(Exception):
    code = "error"


class NotFound(AssistantError):
    """Also raised for objects of another account: the two must be indistinguishable."""

    code = "not_found"


class PermissionDenied(AssistantError):
    code = "forbidden"


class BackendUnavailable(AssistantError):
    code = "unavailable"


class InvalidInput(AssistantError):
    code = "invalid_input"
