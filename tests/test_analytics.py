"""Unanswered questions and feedback: redaction before storage, grouping of rephrasings, the CSV report."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.analytics import (
    Analytics,
    AnswerFeedback,
    UnansweredQuestion,
    group_key,
    group_rows,
    redact,
)
from assistant.commerce.db import Database, make_engine

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("analytics") / "template.db"
    url = f"sqlite:///{path}"
    db = Database(url, make_engine(url))
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture
def analytics(migrated: Path, tmp_path: Path) -> Analytics:
    target = tmp_path / "a.db"
    target.write_bytes(migrated.read_bytes())
    url = f"sqlite:///{target}"
    return Analytics(Database(url, make_engine(url)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bitte an max.mustermann@firma-beispiel.de schicken", "Bitte an [E-Mail] schicken"),
        ("mail: anna(at)example.com", "mail: [E-Mail]"),
        ("Rufen Sie mich an: +49 89 1234567", "Rufen Sie mich an: [Telefon]"),
        ("Tel. 0171/2345678 ab 14 Uhr", "Tel. [Telefon] ab 14 Uhr"),
        ("call me on 0044 20 7946 0958 please", "call me on [Telefon] please"),
        ("(089) 123 456-78 bitte", "[Telefon] bitte"),
    ],
)
def test_emails_and_phone_numbers_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ist 3S-1208 für 120 °C geeignet?",
        "Wo ist Bestellung 4711 vom 01.12.2026?",
        "QC-300-08 bei 350 bar und 0,5 m Schlauch",
        "Zertifikat für Lieferung 80012, Charge 2026-11",
        "ISO 8434-1 and EN 1935/2004 at 16 bar",
    ],
)
def test_article_order_numbers_dates_and_values_survive_redaction(text: str) -> None:
    assert redact(text) == text


def test_stored_question_is_redacted_and_the_conversation_hashed(analytics: Analytics) -> None:
    analytics.record_unanswered(
        "Schlauch für Ammoniak? Antwort an jan@kunde.de oder +49 30 1234567", "low_score", "de", 0.12, "c-abc"
    )
    rows = analytics.rows()
    assert len(rows) == 1
    assert rows[0].question == "Schlauch für Ammoniak? Antwort an [E-Mail] oder [Telefon]"
    assert "jan@" not in rows[0].group_key and "1234567" not in rows[0].group_key
    assert rows[0].conversation and rows[0].conversation != "c-abc" and "abc" not in rows[0].conversation
    with analytics.database.session() as s:
        raw = " ".join(str(v) for r in s.scalars(select(UnansweredQuestion)) for v in vars(r).values())
    assert "jan@kunde.de" not in raw and "1234567" not in raw


def test_unknown_kind_is_refused(analytics: Analytics) -> None:
    with pytest.raises(ValueError):
        analytics.record_unanswered("x", "whatever")


def _row(q: str, lang: str = "de", kind: str = "low_score", minutes: int = 0) -> UnansweredQuestion:
    return UnansweredQuestion(
        created_at=T0 + timedelta(minutes=minutes), kind=kind, language=lang, question=q, group_key=group_key(q, lang)
    )


def test_rephrasings_are_grouped_and_different_questions_are_not() -> None:
    rows = [
        _row("Welcher Schlauch ist für Ammoniak geeignet?", minutes=1),
        _row("Ist ein Schlauch für Ammoniak geeignet", minutes=2),
        _row("Schlauch geeignet für Ammoniak?", kind="fallback", minutes=3),
        _row("Habt ihr Kupplungen aus Titan?", minutes=4),
        _row("Gibt es Kupplungen aus Titan", minutes=5),
        _row("Liefert ihr nach Japan?", minutes=6),
        _row("which hose is suitable for ammonia", "en", minutes=7),
        _row("hose suitable for ammonia?", "en", kind="thumbs_down", minutes=8),
    ]
    groups = group_rows(rows)
    by_count = sorted((g.count, g.question) for g in groups)
    assert by_count == [
        (1, "Liefert ihr nach Japan?"),
        (2, "Gibt es Kupplungen aus Titan"),
        (2, "hose suitable for ammonia?"),
        (3, "Schlauch geeignet für Ammoniak?"),
    ]
    ammonia = next(g for g in groups if g.count == 3)
    assert ammonia.kinds == {"low_score": 2, "fallback": 1}
    assert ammonia.last_seen == T0 + timedelta(minutes=3)
    assert groups[0].count == 3  # most frequent first


def test_feedback_down_feeds_the_report_once_and_can_be_changed(analytics: Analytics) -> None:
    analytics.record_feedback("c-1", 2, "down", comment="falsch, ruf an: 0171 2345678", question="Ist FKM dampffest?")
    analytics.record_feedback("c-1", 2, "down", question="Ist FKM dampffest?")  # double click: no second entry
    analytics.record_feedback("c-1", 5, "up", question="Lieferzeit?")
    rows = analytics.rows()
    assert [(r.kind, r.question) for r in rows] == [("thumbs_down", "Ist FKM dampffest? — falsch, ruf an: [Telefon]")]
    analytics.record_feedback("c-1", 2, "up")
    with analytics.database.session() as s:
        ratings = {(f.message_index, f.rating, f.question) for f in s.scalars(select(AnswerFeedback))}
    assert ratings == {(2, "up", "Ist FKM dampffest?"), (5, "up", "Lieferzeit?")}
    with pytest.raises(ValueError):
        analytics.record_feedback("c-1", 1, "meh")


def test_csv_report_has_groups_counts_and_neutralises_formulas(analytics: Analytics) -> None:
    analytics.record_unanswered("Schlauch für Ammoniak?", "fallback", "de", now=T0)
    analytics.record_unanswered("Welcher Schlauch für Ammoniak?", "low_score", "de", now=T0 + timedelta(minutes=1))
    analytics.record_unanswered('=HYPERLINK("http://x.example") Preis?', "fallback", "de", now=T0)
    analytics.record_unanswered("Do you ship to Japan?", "no_documents", "en", now=T0 + timedelta(minutes=2))
    text = analytics.csv_report()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["question", "count", "kinds", "languages"]
    assert {(r[0], r[1]) for r in rows[1:]} == {
        ("Welcher Schlauch für Ammoniak?", "2"),
        ("Do you ship to Japan?", "1"),
        ("'=HYPERLINK(\"http://x.example\") Preis?", "1"),
    }
    assert all(not cell.startswith("=") for r in rows for cell in r)
    assert "'=HYPERLINK" in text
