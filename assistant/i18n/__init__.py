"""Response texts per language, one YAML file per capability in this folder.

Rasa's domain responses are language-neutral keys (``custom: {t: greet}``); the gateway and the actions render
them here in the turn's language. Each entry has ``de`` and ``en`` texts and optional ``buttons`` whose titles are
also per language. Parameters use ``{name}`` placeholders.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("de", "en")
_HERE = Path(__file__).parent


class MissingText(KeyError):
    pass


class _SafeParams(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


class _UniqueKeys(yaml.SafeLoader):
    """YAML keeps the last of two equal keys without a word; a text defined twice in one file is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(f"text key {key!r} defined twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(_HERE.glob("*.yml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys) or {}  # noqa: S506 (safe loader)
        for key, entry in data.items():
            if key in merged:
                raise ValueError(f"text key {key!r} defined twice (second time in {path.name})")
            missing = [lang for lang in LANGUAGES if lang not in entry]
            if missing:
                raise ValueError(f"text key {key!r} in {path.name} lacks {missing}")
            merged[key] = entry
    return merged


def _fmt(template: str, params: Mapping[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _SafeParams(params))


def _lang(language: str) -> str:
    return language if language in LANGUAGES else "de"


def t(key: str, language: str, **params: Any) -> str:
    entry = catalog().get(key)
    if entry is None:
        raise MissingText(key)
    return _fmt(str(entry[_lang(language)]), params)


def has(key: str) -> bool:
    return key in catalog()


def render(key: str, language: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A chat API message (text, or buttons when the entry has buttons) for a text key."""
    entry = catalog().get(key)
    if entry is None:
        raise MissingText(key)
    lang = _lang(language)
    text = _fmt(str(entry[lang]), params or {})
    buttons = entry.get("buttons")
    if not buttons:
        return {"type": "text", "text": text}
    return {
        "type": "buttons",
        "text": text,
        "buttons": [
            {"title": _fmt(str(b["title"][lang]), params or {}), "payload": b["payload"]} for b in buttons
        ],
    }
