"""Integration tests share the session's real stack (see tests/stack.py, registered in tests/conftest.py)."""

from tests.stack import Chat, free_port, text_of, token_for

__all__ = ["Chat", "free_port", "text_of", "token_for"]
