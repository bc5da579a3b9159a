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


@pytest.fixture(scope="session")
def real_knowledge(tmp_path_factory: pytest.TempPathFactory):
    """The knowledge service on the real knowledge/ folder with the default (multilingual) embedder, built once
    per session in a private index (slow: loads the model and embeds about 900 chunks)."""
    import shutil

    from assistant.retrieval.service import KnowledgeService
    from assistant.settings import PROJECT_ROOT, Settings, get_settings

    index = tmp_path_factory.mktemp("real-knowledge") / "index"
    warm = get_settings().var_dir / "eval" / f"index-{get_settings().embedding_backend}"
    if (warm / "CURRENT").is_file():
        shutil.copytree(warm, index)  # reuse embeddings the eval already computed; the build still checks hashes
    service = KnowledgeService(settings=Settings(knowledge_dir=PROJECT_ROOT / "knowledge", index_dir=index))
    report = service.build()
    assert report.chunks > 100
    return service
