from __future__ import annotations

import pytest

from assistant.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wo ist meine Bestellung 4711?", "de"),
        ("Bestellung vom letzten Montag nochmal bitte", "de"),
        ("Welche Steckverschraubung eignet sich für die Lebensmittelindustrie bis 120 °C?", "de"),
        ("was kannst du?", "de"),
        ("where is my order 4711?", "en"),
        ("reorder last Monday's order", "en"),
        ("which coupling for 350 bar mobile hydraulics?", "en"),
        ("what can you do?", "en"),
    ],
)
def test_clear_languages(text: str, expected: str) -> None:
    assert detect_language(text, fallback="en" if expected == "de" else "de") == expected


@pytest.mark.parametrize("text", ["4711", "3S-1208 x 50", "ok", "G1/4"])
def test_unclear_turns_keep_the_page_locale(text: str) -> None:
    assert detect_language(text, fallback="en") == "en"
    assert detect_language(text, fallback="de") == "de"
