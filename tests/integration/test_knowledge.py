"""Knowledge through the real stack: grounded answers with sources in German and English, honest non-answers with
the fallback buttons, a document uploaded in /admin answering in the chat within 5 seconds, and feedback and
unanswered questions reaching the admin report."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.settings import PROJECT_ROOT
from tests.integration.conftest import Chat, text_of

pytestmark = pytest.mark.integration

# The upload test writes into the knowledge folder: give the whole stack a private copy before it starts
# (collection happens before the session's `stack` fixture reads the settings).
if "ASSISTANT_KNOWLEDGE_DIR" not in os.environ:
    _copy = Path(os.environ["ASSISTANT_VAR_DIR"]) / "knowledge"
    if not _copy.exists():
        shutil.copytree(PROJECT_ROOT / "knowledge", _copy)
    os.environ["ASSISTANT_KNOWLEDGE_DIR"] = str(_copy)

NEW_DOC = """---
id: faq-kalibrierung
type: faq
language: de
title: Kalibrierservice für Druckminderer
---
# Kalibrierservice

## Wie lange dauert die Kalibrierung?

Die Kalibrierung eines Druckminderers in unserem Prüflabor dauert sieben Werktage ab Wareneingang,
mit Werkskalibrierschein nach DIN EN 10204.
"""


def _of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


def _payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in _of(messages, "buttons") for b in m["buttons"]]


def _sources(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for m in _of(messages, "sources") for item in m["items"]]


def _products(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for m in _of(messages, "products") for item in m["items"]]


def test_german_food_industry_question_names_fitting_articles_with_facts_and_sources(stack) -> None:
    messages = Chat(stack).say("Welche Steckverschraubung eignet sich für die Lebensmittelindustrie bis 120 °C?")
    text = text_of(messages)
    products = _products(messages)
    assert products, text
    assert all(p["sku"].startswith("3SX-") for p in products), products  # stainless, FDA, up to 120 °C
    assert any("120 °C ✓" in str(p["facts"]) for p in products)
    # what was checked, per article, and no sweeping "erfüllt alle Anforderungen"
    assert "passen laut Katalog" in text and "alle genannten Anforderungen" not in text, text
    sources = _sources(messages)
    assert sources and all(s["url"].startswith(("http://", "https://")) and "/kb/" in s["url"] for s in sources)
    assert all(s["excerpt"] for s in sources)
    assert {"/start_finder", "/start_rfq"} <= set(_payloads(messages))


def test_english_mobile_hydraulics_question_names_a_350_bar_coupling_with_sources(stack) -> None:
    messages = Chat(stack, locale="en").say("which coupling for 350 bar mobile hydraulics?")
    text = text_of(messages)
    products = _products(messages)
    couplings = [p for p in products if p["sku"].startswith("QC-")]
    assert couplings and products[0] in couplings, [p["sku"] for p in products]
    assert all(re.search(r"'\d{3} bar ✓'", str(p["facts"])) for p in couplings), couplings
    assert "350 bar ✓" in str(couplings[0]["facts"])
    assert "the catalogue has" in text and "all the requirements" not in text, text
    assert _sources(messages)
    assert {"/start_finder", "/start_rfq"} <= set(_payloads(messages))
    for payload in _payloads(messages):  # every button must be clickable through the gateway
        assert httpx.post(f"{stack.app_url}/api/chat", json={"payload": payload, "locale": "en"},
                          timeout=30).status_code != 400, payload


@pytest.mark.parametrize(
    ("locale", "question", "honest"),
    [
        ("de", "Habt ihr eine Zulassung eurer Kupplungen für die Raumfahrt nach ECSS?", "keine Angabe"),
        ("en", "Are your couplings qualified for spaceflight under ECSS?", "do not specify"),
    ],
)
def test_a_question_the_documents_cannot_answer_gets_an_honest_reply_and_a_way_forward(
    stack, locale: str, question: str, honest: str
) -> None:
    messages = Chat(stack, locale=locale).say(question)
    text = text_of(messages)
    assert honest in text or ("anders formulieren" if locale == "de" else "rephrase") in text, text
    assert not _sources(messages)
    assert {"/start_rfq", "/request_human"} <= set(_payloads(messages))
    assert "ECSS" not in " ".join(re.findall(r"\d+", text))  # no invented numbers


def _admin(stack) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=stack.app_url, timeout=60, follow_redirects=False)
    page = client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = client.post("/admin/login", data={"username": "admin", "password": "admin", "csrf": csrf})
    assert r.status_code == 303, r.text[:300]
    dashboard = client.get("/admin")
    assert dashboard.status_code == 200
    return client, re.search(r'name="csrf" value="([^"]+)"', dashboard.text).group(1)


def test_admin_requires_login_and_csrf(stack) -> None:
    anonymous = httpx.Client(base_url=stack.app_url, timeout=30, follow_redirects=False)
    assert anonymous.get("/admin").status_code == 303
    r = anonymous.post("/admin/upload", data={"csrf": "x"}, files={"file": ("a.md", NEW_DOC.encode())})
    assert r.status_code == 303
    client, _ = _admin(stack)
    r = client.post("/admin/upload", data={"csrf": "forged"}, files={"file": ("kalibrierung.md", NEW_DOC.encode())})
    assert r.status_code == 403


def test_document_uploaded_in_admin_answers_in_the_chat_within_five_seconds(stack) -> None:
    question = "Wie lange dauert die Kalibrierung eines Druckminderers im Prüflabor?"
    before = text_of(Chat(stack).say(question))
    assert "sieben Werktage" not in before
    client, csrf = _admin(stack)
    r = client.post("/admin/upload", data={"csrf": csrf}, files={"file": ("kalibrierung.md", NEW_DOC.encode())})
    assert r.status_code == 200, r.text[:500]
    uploaded = time.monotonic()
    answer = ""
    while time.monotonic() - uploaded < 5.0:
        messages = Chat(stack).say(question)
        answer = text_of(messages)
        if "sieben Werktage" in answer:
            break
        time.sleep(0.3)
    assert "sieben Werktage" in answer, answer
    assert time.monotonic() - uploaded < 5.0
    assert any(s["url"].endswith("/kb/doc/faq-kalibrierung") for s in _sources(messages))
    page = httpx.get(f"{stack.app_url}/kb/doc/faq-kalibrierung", timeout=30)
    assert page.status_code == 200 and "sieben Werktage" in page.text
    r = client.post("/admin/delete", data={"csrf": csrf, "doc_id": "faq-kalibrierung"})
    assert r.status_code == 200


def test_thumbs_down_and_unanswered_questions_reach_the_admin_report_redacted(stack) -> None:
    chat = Chat(stack, locale="en")
    chat.say("Are your couplings qualified for spaceflight under ECSS?")
    liked = Chat(stack, locale="de")
    first = liked.say("Welche Dichtung verträgt Dampf?")
    assert first
    r = httpx.post(f"{stack.app_url}/api/feedback", timeout=30, json={
        "conversation_id": liked.conversation_id, "message_index": 0, "rating": "down",
        "comment": "zu allgemein, bitte an max@example.org oder 0171 2345678"})
    assert r.status_code == 204, r.text
    forged = httpx.post(f"{stack.app_url}/api/feedback", timeout=30, json={
        "conversation_id": chat.conversation_id[:-2] + "xx", "message_index": 0, "rating": "down"})
    assert forged.status_code == 403
    client, _ = _admin(stack)
    report = client.get("/admin/unanswered").text
    assert "spaceflight" in report
    assert "Welche Dichtung verträgt Dampf?" in report and "thumbs_down" in report
    assert "zu allgemein, bitte an [E-Mail] oder [Telefon]" in report
    assert "max@example.org" not in report and "2345678" not in report
    csv_text = client.get("/admin/unanswered.csv").text
    assert "spaceflight" in csv_text and "thumbs_down=1" in csv_text
