"""/admin/insights over HTTP: the KPIs as accessible SVG charts with tables and CSV, for a period, in both languages.

The data is written through the real writer for last week (Monday to Sunday before the pinned day); the expected
numbers are worked out by hand below, so a wrong aggregate or a wrong label fails here.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant import clock
from assistant.analytics import CesEvent, FeedbackEvent, TurnEvent, write_events
from assistant.commerce.db import Database
from tests.gateway.cockpit_helpers import admin_client, migrated_database, texts_of

CHARTS = ("conversations", "daily", "answer_rate", "not_specified", "thumbs", "containment", "funnel", "flows",
          "order_time", "ces")


def last_week_monday() -> date:
    today = clock.today()
    return today - timedelta(days=today.weekday() + 7)


def at(day: date, minutes: float = 0) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)


def k(answered: bool, verdict: str | None = "yes") -> dict[str, Any]:
    return {"kind": "knowledge", "answered": answered, "verdict": verdict, "sources": [], "reason": None}


def f(name: str, event: str) -> dict[str, Any]:
    return {"kind": "flow", "flow": name, "event": event}


def t(conv: str, when: datetime, *private: dict[str, Any], touchpoint: str = "shop", lang: str = "de") -> TurnEvent:
    return TurnEvent(conv, when, lang, touchpoint, touchpoint == "portal", "?", ({"type": "text", "text": "."},),
                     private)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """Last week: 4 shop/product conversations with 4 questions (3 answered, 1 not specified), one via finder to a
    sent RFQ, one handoff; 2 portal reorders (3 and 12 minutes); thumbs 1 up, 1 down; effort 4 and 2, one skip."""
    database = migrated_database(tmp_path)
    mon = last_week_monday()
    wed = mon + timedelta(days=2)
    write_events(database, [
        t("s1", at(mon), k(True)), t("s1", at(mon, 1), f("finder", "started")),
        t("s1", at(mon, 2), f("rfq", "started")),
        t("s1", at(mon, 3), f("rfq", "finished")), CesEvent("s1", at(mon, 4), "rfq", 4),
        t("s2", at(mon), k(True, "not_specified"), touchpoint="product"),
        t("s3", at(wed), k(False, None), lang="en"), t("s3", at(wed, 1), f("handoff", "started"), lang="en"),
        t("s4", at(wed), k(True), touchpoint="product", lang="en"),
        t("p1", at(wed), touchpoint="portal"), t("p1", at(wed, 3), f("reorder", "finished"), touchpoint="portal"),
        CesEvent("p1", at(wed, 4), "reorder", 2),
        t("p2", at(wed), touchpoint="portal"), t("p2", at(wed, 12), f("reorder", "finished"), touchpoint="portal"),
        CesEvent("p2", at(wed, 13), "reorder", None),
        t("p2", at(wed, 14), f("status", "finished"), touchpoint="portal"),
        FeedbackEvent("s1", at(mon, 5), 0, "up"), FeedbackEvent("s2", at(mon, 5), 0, "down"),
        t("old", at(mon - timedelta(days=3)), k(False, None)),  # the week before: outside the period
    ])
    return database


@pytest.fixture
def admin(db: Database) -> tuple[TestClient, str]:
    return admin_client(db)


def figure(html: str, key: str) -> str:
    match = re.search(rf'<figure class="chart-card" id="{key}">(.*?)</figure>', html, re.S)
    assert match, f"no chart {key}"
    return match.group(1)


def desc(html: str, key: str) -> str:
    return texts_of(re.search(r"<desc[^>]*>(.*?)</desc>", figure(html, key), re.S).group(1))


@pytest.mark.parametrize(("lang", "title", "rate"), [
    ("de", "Kennzahlen: was gefragt, beantwortet und erreicht wurde", "75 %"),
    ("en", "Insights: what was asked, answered and achieved", "75%"),
])
def test_last_week_shows_every_chart_with_the_right_numbers(admin: tuple[TestClient, str], lang: str, title: str,
                                                            rate: str) -> None:
    client, _ = admin
    r = client.get("/admin/insights", params={"lang": lang})  # "last week" is the default period
    assert r.status_code == 200 and title in r.text
    for key in CHARTS:
        figure(r.text, key)
    tiles = texts_of(r.text.split('<ul class="kpis">', 1)[1].split("</ul>", 1)[0])
    assert f"{rate} " in tiles  # answer rate 3 of 4
    shop, product = ("Shop", "Produktseite") if lang == "de" else ("Shop", "Product page")
    sep = "%" if lang == "en" else " %"
    assert desc(r.text, "answer_rate") == (f"{shop}: DE 100{sep}, EN 0{sep}; {product}: DE 100{sep}, EN 100{sep}; "
                                           + ("Kundenportal" if lang == "de" else "Customer portal") + ": DE –, EN –.")
    funnel = desc(r.text, "funnel")
    assert funnel.startswith(("Gespräche: 6; Produktfrage: 4", "Conversations: 6; Product question: 4"))
    assert ("Anfrage gesendet: 1 (100 % vom vorigen Schritt)" if lang == "de"
            else "Request sent: 1 (100% of the previous step)") in funnel


def test_charts_are_images_with_a_name_a_description_a_table_and_a_csv_link(admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    html = client.get("/admin/insights").text
    for key in CHARTS:
        part = figure(html, key)
        svg = re.search(r"<svg [^>]*>", part).group(0)
        assert 'role="img"' in svg and 'tabindex="0"' in svg
        assert f'aria-labelledby="chart-{key}-title chart-{key}-desc"' in svg
        assert f'<title id="chart-{key}-title">' in part and f'<desc id="chart-{key}-desc">' in part
        assert "<table>" in part and "<summary>Daten als Tabelle" in part
        assert f"/admin/insights.csv?chart={key}&amp;" in part


def test_a_chart_downloads_as_csv_with_raw_numbers(admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    r = client.get("/admin/insights.csv", params={"chart": "funnel", "lang": "en"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
    assert rows == [["Conversations", "Conversations"], ["Conversations", "6"], ["Product question", "4"],
                    ["Product finder", "1"], ["Request started", "1"], ["Request sent", "1"]]
    rates = list(csv.reader(io.StringIO(client.get("/admin/insights.csv", params={
        "chart": "answer_rate", "touchpoint": "shop"}).text.lstrip("\ufeff")), delimiter=";"))
    assert rates == [["Kontaktpunkt", "DE", "EN"], ["Shop", "1", "0"]]


def test_filters_narrow_every_chart(admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    html = client.get("/admin/insights", params={"touchpoint": "portal", "language": "de"}).text
    assert desc(html, "conversations") == "Kundenportal: 2."
    assert desc(html, "flows") == "Angemeldete Gespräche: 2; Bestellungen: 2; Statusauskünfte: 1; Dokumente: 0."
    # the grouped median of 3 and 12 minutes: the first order fills the 2-3 min bucket up to half of all orders
    assert desc(html, "order_time").startswith("Median bis zur Bestellung 3,0 min · 50 % innerhalb von 5 Minuten. "
                                               "≤ 1 min: 0; 1–2 min: 0; 2–3 min: 1; ")
    assert "10–15 min: 1" in desc(html, "order_time")
    assert desc(html, "ces").startswith("Bestellungen: 2,0 (Antworten 1, Übersprungen 1)")


@pytest.mark.parametrize(("lang", "params", "status", "message"), [
    ("de", {"from": "2026-13-01", "to": "2026-12-01"}, 400, "Bitte geben Sie Daten im Format JJJJ-MM-TT an."),
    ("en", {"from": "2026-12-04", "to": "2026-11-01"}, 400, "The end of the period is before its start."),
    ("de", {"from": "2024-01-01", "to": "2026-01-01"}, 400, "Ein Zeitraum darf höchstens 366 Tage lang sein."),
    ("en", {"from": "2026-11-01"}, 400, "An own period needs a start and an end."),
    ("de", {"period": "forever"}, 400, "Diese Filter sind ungültig."),
    ("en", {"language": "fr"}, 400, "These filters are invalid."),
])
def test_bad_periods_and_filters_are_explained(admin: tuple[TestClient, str], lang: str, params: dict[str, str],
                                               status: int, message: str) -> None:
    client, _ = admin
    for path in ("/admin/insights", "/admin/insights.csv"):
        r = client.get(path, params={"lang": lang, "chart": "funnel", **params})
        assert r.status_code == status and message in r.text and "Traceback" not in r.text


@pytest.mark.parametrize(("lang", "message"), [("de", "Dieses Diagramm gibt es nicht."),
                                               ("en", "There is no such chart.")])
def test_an_unknown_chart_is_a_404_in_the_page_language(admin: tuple[TestClient, str], lang: str,
                                                        message: str) -> None:
    client, _ = admin
    r = client.get("/admin/insights.csv", params={"chart": "../../etc/passwd", "lang": lang})
    assert r.status_code == 404 and message in r.text
