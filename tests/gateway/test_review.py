"""/admin/review over HTTP: filters, one-click cases, the YAML export, redaction and errors in German and English."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.analytics import FeedbackEvent, TurnEvent, write_events
from assistant.analytics import review as reviews
from assistant.commerce.db import Database
from assistant.gateway.app import create_app
from tests.gateway.cockpit_helpers import admin_client, migrated_database, texts_of

NOW = datetime.now(UTC)
YESTERDAY = NOW - timedelta(days=1)


def knowledge(answered: bool = True, verdict: str | None = "yes", docs: tuple[str, ...] = ("ds-3s-push-in",)
              ) -> dict[str, Any]:
    return {"kind": "knowledge", "answered": answered, "verdict": verdict, "sources": list(docs), "reason": None}


def turn(conv: str, when: datetime, question: str, reply: str, *private: dict[str, Any], touchpoint: str = "shop",
         lang: str = "de", sku: str | None = None) -> TurnEvent:
    return TurnEvent(conv, when, lang, touchpoint, False, question, ({"type": "text", "text": reply},),
                     private, sku)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = migrated_database(tmp_path)
    write_events(database, [
        turn("a", YESTERDAY, "Hält 3S-1208 120 °C? Antwort an jan@kunde.de", "Ja, bis 120 °C.", knowledge(),
             touchpoint="product", sku="3S-1208"),
        turn("b", YESTERDAY, "Is the FKM ring <script>alert(1)</script> ok for steam?", "Not specified.",
             knowledge(True, "not_specified"), touchpoint="product", lang="en", sku="OR-F-020"),
        turn("c", YESTERDAY, "Liefert ihr nach Japan?", "Dazu finde ich nichts.", knowledge(False, None, ()),
             touchpoint="shop"),
        turn("d", NOW, "Heutige Frage zum QC-300", "Bis 300 bar.", knowledge(), touchpoint="product", sku="QC-300-08"),
    ])
    write_events(database, [FeedbackEvent("a", YESTERDAY, 0, "down"), FeedbackEvent("b", YESTERDAY, 0, "down"),
                            FeedbackEvent("d", NOW, 0, "down")])
    return database


@pytest.fixture
def admin(db: Database) -> tuple[TestClient, str]:
    return admin_client(db)


def questions(html: str) -> list[str]:
    found = re.findall(r'<h3 class="question"[^>]*>(.*?)</h3>', html, re.S)
    return [texts_of(q).split(":", 1)[1].strip() for q in found]


@pytest.mark.parametrize("path", ["/admin/review", "/admin/review/cases", "/admin/review/cases.yml",
                                  "/admin/insights", "/admin/insights.csv?chart=funnel"])
def test_the_cockpit_needs_the_admin_login(db: Database, path: str) -> None:
    client = TestClient(create_app(), follow_redirects=False)
    r = client.get(path)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


@pytest.mark.parametrize(("lang", "heading", "thumbs"), [
    ("de", "Gesprächsprüfung: Antworten auf Produktfragen", "Daumen runter"),
    ("en", "Conversation review: answers to product questions", "Thumbs down"),
])
def test_yesterdays_thumbs_down_answers_on_product_pages(admin: tuple[TestClient, str], lang: str, heading: str,
                                                        thumbs: str) -> None:
    client, _ = admin
    r = client.get("/admin/review", params={"lang": lang, "period": "yesterday", "touchpoint": "product",
                                            "thumbs_down": "1"})
    assert r.status_code == 200 and heading in r.text
    assert questions(r.text) == ["Is the FKM ring <script>alert(1)</script> ok for steam?",
                                 "Hält 3S-1208 120 °C? Antwort an [E-Mail]"]
    assert "<script>alert(1)</script>" not in r.text  # shown as text, never as markup
    assert "jan@kunde.de" not in r.text and thumbs in r.text
    assert 'href="/kb/doc/ds-3s-push-in' in r.text and "3S-1208" in r.text


def test_every_filter_and_the_search(admin: tuple[TestClient, str]) -> None:
    client, _ = admin

    def q(**params: str) -> list[str]:
        return questions(client.get("/admin/review", params=params).text)

    assert len(q()) == 4
    assert q(no_answer="1") == ["Liefert ihr nach Japan?"]
    assert q(language="en") == ["Is the FKM ring <script>alert(1)</script> ok for steam?"]
    assert q(period="today") == ["Heutige Frage zum QC-300"]
    assert q(q="japan") == ["Liefert ihr nach Japan?"] and q(q="QC-300") == ["Heutige Frage zum QC-300"]
    assert q(handoff="1") == []
    day = YESTERDAY.date().isoformat()
    assert len(q(**{"from": day, "to": day})) == 3


@pytest.mark.parametrize(("lang", "params", "message"), [
    ("de", {"from": "gestern"}, "Bitte geben Sie Daten im Format JJJJ-MM-TT an."),
    ("en", {"from": "yesterday"}, "Please give dates as YYYY-MM-DD."),
    ("de", {"from": "2026-12-04", "to": "2026-12-01"}, "Das Ende des Zeitraums liegt vor seinem Anfang."),
    ("en", {"touchpoint": "moon"}, "These filters are invalid. Please choose from the lists."),
    ("de", {"page": "0"}, "Diese Filter sind ungültig. Bitte wählen Sie aus den Listen."),
])
def test_bad_filters_are_explained_and_kept_for_correction(admin: tuple[TestClient, str], lang: str,
                                                          params: dict[str, str], message: str) -> None:
    client, _ = admin
    r = client.get("/admin/review", params={"lang": lang, **params})
    assert r.status_code == 400 and message in r.text and "Traceback" not in r.text
    for value in params.values():
        if value not in ("moon", "0"):
            assert f'value="{value}"' in r.text


def test_one_click_files_a_case_and_returns_to_the_same_view(admin: tuple[TestClient, str], db: Database) -> None:
    client, csrf = admin
    view = {"period": "yesterday", "touchpoint": "product", "thumbs_down": "1"}
    page = client.get("/admin/review", params=view).text
    turn_id = int(re.findall(r'name="turn_id" value="(\d+)"', page)[1])  # the German answer
    back = re.search(r'name="back" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    r = client.post("/admin/review/case", data={"csrf": csrf, "turn_id": turn_id, "category": "missing_content",
                                                "note": "Temperaturtabelle fehlt; Rückfrage an jan@kunde.de",
                                                "back": back})
    assert r.status_code == 303
    target = r.headers["location"]
    assert target.endswith(f"#answer-{turn_id}") and "thumbs_down=1" in target and "touchpoint=product" in target
    after = client.get(target.split("#")[0]).text
    assert "Fall erfasst: Fehlender Inhalt" in after
    [case] = reviews.cases(db)
    assert (case.category, case.note, case.sku) == ("missing_content", "Temperaturtabelle fehlt; Rückfrage an [E-Mail]",
                                                    "3S-1208")


@pytest.mark.parametrize(("lang", "data", "status", "message"), [
    ("de", {"category": "typo"}, 400, "Bitte wählen Sie „Falsche Antwort“ oder „Fehlender Inhalt“."),
    ("en", {"category": "typo"}, 400, "Please choose “wrong answer” or “missing content”."),
    ("de", {"category": "wrong_answer", "turn_id": 99999}, 404, "Diese Antwort gibt es nicht mehr"),
    ("en", {"category": "wrong_answer", "turn_id": 99999}, 404, "This answer no longer exists"),
])
def test_a_case_that_cannot_be_filed_says_why(admin: tuple[TestClient, str], db: Database, lang: str,
                                             data: dict[str, Any], status: int, message: str) -> None:
    client, csrf = admin
    turn_id = reviews.review(db, reviews.ReviewQuery())[0][0].id
    r = client.post(f"/admin/review/case?lang={lang}", data={"csrf": csrf, "turn_id": turn_id, **data})
    assert r.status_code == status and message in r.text
    assert reviews.cases(db) == []


def test_filing_without_the_sessions_csrf_token_changes_nothing(admin: tuple[TestClient, str], db: Database) -> None:
    client, _ = admin
    turn_id = reviews.review(db, reviews.ReviewQuery())[0][0].id
    for token in ("", "0" * 64):
        r = client.post("/admin/review/case", data={"csrf": token, "turn_id": turn_id, "category": "wrong_answer"})
        assert r.status_code == 403
    assert reviews.cases(db) == []


@pytest.mark.parametrize(("lang", "words"), [("de", "Als YAML herunterladen"), ("en", "Download as YAML")])
def test_cases_are_listed_exported_as_evaluation_yaml_and_deleted(admin: tuple[TestClient, str], db: Database,
                                                                 lang: str, words: str) -> None:
    client, csrf = admin
    items = reviews.review(db, reviews.ReviewQuery(touchpoint="product", language="de"))[0]
    reviews.file_case(db, items[0].id, "wrong_answer", "sagt 120 °C, Datenblatt sagt 80 °C")
    page = client.get(f"/admin/review/cases?lang={lang}")
    assert page.status_code == 200 and words in page.text and "sagt 120 °C" in page.text
    export = client.get("/admin/review/cases.yml")
    assert export.headers["content-type"].startswith("application/yaml")
    assert "attachment" in export.headers["content-disposition"]
    [question] = yaml.safe_load(export.text)["questions"]
    assert {k: question[k] for k in ("lang", "kind", "page_sku", "docs", "facts")} == {
        "lang": "de", "kind": "fact", "page_sku": "QC-300-08", "docs": ["ds-3s-push-in"], "facts": []}
    case_id = reviews.cases(db)[0].id
    r = client.post(f"/admin/review/cases/delete?lang={lang}", data={"csrf": csrf, "case_id": case_id})
    assert r.status_code == 303 and reviews.cases(db) == []
