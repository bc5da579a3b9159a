"""The README is the newcomer's contract: it starts with the two commands and documents every setting."""

from __future__ import annotations

from assistant.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    head = README.splitlines()[:8]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_every_setting_is_documented() -> None:
    missing = [name for name in Settings.model_fields if f"`ASSISTANT_{name.upper()}`" not in README]
    assert missing == [], f"settings missing from README.md: {missing}"
