"""Shared fixtures. Tests never use the developer's var/: each session gets its own runtime folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Settings are read from the environment; point every test process (and the processes the integration tests
# start) at a private runtime folder before anything reads the settings.
_TEST_VAR = Path(tempfile.mkdtemp(prefix="assistant-test-var-"))
os.environ.setdefault("ASSISTANT_VAR_DIR", str(_TEST_VAR))
os.environ.setdefault("ASSISTANT_PROFILE", "development")


from tests.stack import stack  # noqa: E402,F401  (the session's real Rasa + app, for integration and browser tests)


@pytest.fixture(autouse=True)
def _fresh_settings_cache():
    from assistant import identity
    from assistant.settings import get_settings

    get_settings.cache_clear()
    for factory in (identity.get_token_verifier, identity.get_binder, identity.get_signer):
        factory.cache_clear()
    yield
    get_settings.cache_clear()


def skip_or_fail(reason: str) -> None:
    """Skip a test whose service (PostgreSQL, Redis, axe-core) is missing, except in CI, where it must run."""
    if os.environ.get("CI") or os.environ.get("ASSISTANT_REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)
