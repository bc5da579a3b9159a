"""The response texts: every key once, in both languages."""

from __future__ import annotations

import pytest
import yaml

from assistant import i18n


def test_every_text_loads_in_both_languages() -> None:
    texts = i18n.catalog()
    assert texts and all(set(i18n.LANGUAGES) <= set(entry) for entry in texts.values())


def test_a_key_written_twice_in_one_file_is_refused_not_silently_overwritten() -> None:
    source = 'a:\n  de: "eins"\n  en: "one"\na:\n  de: "zwei"\n  en: "two"\n'
    assert yaml.safe_load(source)["a"]["de"] == "zwei"  # what plain YAML does
    with pytest.raises(ValueError, match="'a' defined twice"):
        yaml.load(source, Loader=i18n._UniqueKeys)  # noqa: S506 (a SafeLoader)
