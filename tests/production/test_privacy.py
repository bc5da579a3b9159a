"""Erasure and retention: a person's conversations, feedback and analytics go; other people's stay."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from assistant.analytics import Analytics, AnswerFeedback, UnansweredQuestion
from assistant.commerce.db import Database, make_engine
from assistant.gateway import admin, privacy
from assistant.gateway.app import create_app
from assistant.identity import ANONYMOUS, BuyerIdentity, get_binder
from assistant.privacy_cli import PrivacyService, main, sender_of_conversation

pytestmark = pytest.mark.integration

# The schema of Rasa 3.6's SQLTrackerStore (rasa/core/tracker_store.py, SQLEvent).
EVENTS_DDL = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,"
    " timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"
)


def _user_event(sender: str, sub: str | None, text_: str, ts: float) -> dict[str, Any]:
    identity = {"sub": sub, "customer": "K-10001", "roles": ["buyer"], "locale": "de"} if sub else None
    data = {"event": "user", "timestamp": ts, "text": text_, "metadata": {"identity": identity, "sender": sender}}
    return {"sender_id": sender, "type_name": "user", "timestamp": ts, "data": json.dumps(data)}


@pytest.fixture
def stores(tmp_path: Path) -> dict[str, Any]:
    tracker = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with tracker.begin() as conn:
        conn.execute(text(EVENTS_DDL))
    url = f"sqlite:///{tmp_path / 'commerce.db'}"
    database = Database(url, make_engine(url))
    database.upgrade()
    return {"tracker": tracker, "database": database, "service": PrivacyService(tracker_engine=tracker,
                                                                                 database=database)}


def _add(stores: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    with stores["tracker"].begin() as conn:
        for row in rows:
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                              "VALUES (:sender_id, :type_name, :timestamp, :data)"), row)
            conn.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                              "VALUES (:s, 'bot', :t, '{\"event\": \"bot\"}')"), {"s": row["sender_id"],
                                                                                 "t": row["timestamp"]})


def _senders(stores: dict[str, Any]) -> set[str]:
    with stores["tracker"].connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT DISTINCT sender_id FROM events"))}


def _seed_people(stores: dict[str, Any]) -> None:
    now = time.time()
    _add(stores, [
        _user_event("c-aaaaaaaaaaaaaaaaaaaaaa", "u-1001", "Meine E-Mail ist max@example.com", now),
        _user_event("c-bbbbbbbbbbbbbbbbbbbbbb", "u-1001", "Bestellung 4711", now),
        # another user whose id merely contains the first one's: must stay
        _user_event("c-cccccccccccccccccccccc", "u-10011", "reorder", now),
        _user_event("c-dddddddddddddddddddddd", None, "anonymous question mentioning u-1001", now),
    ])
    analytics = Analytics(stores["database"])
    analytics.record_unanswered("Dampfschlauch 300 °C?", "low_score", "de", 0.2, sender="c-aaaaaaaaaaaaaaaaaaaaaa")
    analytics.record_unanswered("other question", "low_score", "en", 0.2, sender="c-cccccccccccccccccccccc")
    analytics.record_feedback("c-bbbbbbbbbbbbbbbbbbbbbb", 1, "down", comment="falsch")
    analytics.record_feedback("c-dddddddddddddddddddddd", 1, "up")


def _count(stores: dict[str, Any], model: Any) -> int:
    with stores["database"].session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_erase_by_user_deletes_exactly_that_users_conversations_feedback_and_analytics(stores) -> None:
    _seed_people(stores)
    report = stores["service"].erase(user_id="u-1001")
    assert report.as_dict()["conversations"] == 2
    assert report.tracker_events == 4 and report.feedback == 1 and report.unanswered == 1
    assert _senders(stores) == {"c-cccccccccccccccccccccc", "c-dddddddddddddddddddddd"}
    assert _count(stores, AnswerFeedback) == 1 and _count(stores, UnansweredQuestion) == 1


def test_erase_of_an_anonymous_conversation_by_its_conversation_id(stores) -> None:
    _seed_people(stores)
    conversation = get_binder().issue(ANONYMOUS)
    sender = sender_of_conversation(conversation)
    _add(stores, [_user_event(sender, None, "Angebot bitte, Tel. 0171 2345678", time.time())])
    report = stores["service"].erase(conversation_id=conversation)
    assert report.tracker_events == 2
    assert sender not in _senders(stores)
    assert len(_senders(stores)) == 4


def test_erase_of_someone_without_conversations_deletes_nothing(stores) -> None:
    _seed_people(stores)
    assert stores["service"].erase(user_id="u-9999").as_dict()["conversations"] == 0
    assert len(_senders(stores)) == 4


def test_retention_purge_deletes_only_conversations_idle_past_the_retention(stores) -> None:
    old = time.time() - 200 * 86400
    _add(stores, [_user_event("c-oooooooooooooooooooooo", "u-1002", "alt", old)])
    # a conversation that began long ago but is still active stays whole
    _add(stores, [_user_event("c-llllllllllllllllllllll", "u-1002", "alt", old),
                  _user_event("c-llllllllllllllllllllll", "u-1002", "neu", time.time())])
    with stores["database"].session() as s:
        s.add(AnswerFeedback(created_at=datetime.now(UTC) - timedelta(days=200), conversation="x" * 32,
                             message_index=0, rating="up", language="de"))
    dry = stores["service"].purge(days=180, dry_run=True)
    assert dry.senders == ["c-oooooooooooooooooooooo"] and len(_senders(stores)) == 2
    report = stores["service"].purge(days=180)
    assert report.tracker_events == 2 and report.feedback == 1
    assert _senders(stores) == {"c-llllllllllllllllllllll"}
    with stores["tracker"].connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events")).scalar() == 4


def test_cli_purge_uses_the_retention_setting_and_reports_json(stores, monkeypatch, capsys) -> None:
    from assistant import privacy_cli
    from assistant.settings import get_settings

    monkeypatch.setenv("ASSISTANT_RETENTION_DAYS", "30")
    get_settings.cache_clear()

    _add(stores, [_user_event("c-oooooooooooooooooooooo", "u-1002", "alt", time.time() - 40 * 86400)])
    monkeypatch.setattr(privacy_cli, "PrivacyService", lambda: PrivacyService(
        tracker_engine=stores["tracker"], database=stores["database"]))
    assert main(["privacy", "purge"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["conversations"] == 1 and out["tracker_events"] == 2 and out["dry_run"] is False
    assert main(["privacy", "erase"]) == 2


# ------------------------------------------------------------------ the admin endpoint
@pytest.fixture
def client(stores, monkeypatch) -> TestClient:
    monkeypatch.setattr(privacy, "PrivacyService", lambda settings=None: stores["service"])
    return TestClient(create_app(), raise_server_exceptions=False, follow_redirects=False)


def _login(client: TestClient) -> str:
    """Log in through the real login form; the CSRF token is the one the admin pages would embed."""
    import re

    from assistant.settings import get_settings

    page = client.get("/admin/login?lang=de")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/admin/login", data={"username": "admin", "password": "admin", "csrf": csrf}).status_code == 303
    # (the dashboard would show this token, but rendering it builds the knowledge index: too slow here)
    raw = client.cookies.get(admin.SESSION_COOKIE)
    assert raw
    nonce = admin._serializer(get_settings()).loads(raw)["n"]
    return admin.csrf_token(get_settings(), nonce)


def test_erase_endpoint_refuses_without_admin_session_or_csrf_in_both_languages(stores, client) -> None:
    _seed_people(stores)
    r = client.post("/admin/privacy/erase", data={"user_id": "u-1001"})
    assert r.status_code == 401 and "Administrator" in r.json()["error"]["message"]
    r = client.post("/admin/privacy/erase?lang=en", data={"user_id": "u-1001"})
    assert r.status_code == 401 and "administrator" in r.json()["error"]["message"]
    admin._login_limiter.cache_clear()
    _login(client)
    r = client.post("/admin/privacy/erase", data={"user_id": "u-1001", "csrf": "forged"})
    assert r.status_code == 403
    assert len(_senders(stores)) == 4


def test_erase_endpoint_deletes_and_reports_counts_only(stores, client) -> None:
    _seed_people(stores)
    admin._login_limiter.cache_clear()
    csrf = _login(client)
    r = client.post("/admin/privacy/erase", data={"email": "", "user_id": "u-1001", "csrf": csrf})
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["conversations"] == 2
    assert "max@example.com" not in r.text
    assert _senders(stores) == {"c-cccccccccccccccccccccc", "c-dddddddddddddddddddddd"}
    r = client.post("/admin/privacy/erase?lang=en", data={"csrf": csrf})
    assert r.status_code == 400 and "conversation id" in r.json()["error"]["message"]
    r = client.post("/admin/privacy/erase", data={"conversation_id": "nonsense", "csrf": csrf})
    assert r.status_code == 400


def test_identity_of_a_logged_in_user_is_what_the_gateway_signs(stores) -> None:
    """The lookup relies on metadata.identity.sub, which the gateway's signer writes: check that it does."""
    from assistant.identity import get_signer

    who = BuyerIdentity(user_id="u-1001", customer_id="K-10001", roles=frozenset({"buyer"}), locale="de")
    metadata = get_signer().sign(who, sender="c-aaaaaaaaaaaaaaaaaaaaaa", language="de", page={}, request_id="r1")
    assert metadata["identity"]["sub"] == "u-1001"


def test_uploaded_boms_are_erased_with_their_conversations_and_purged_after_the_retention(stores, tmp_path) -> None:
    import os

    from assistant.commerce.bom import BomLine, BomResult, UploadStore
    from assistant.settings import Settings

    settings = Settings(var_dir=tmp_path / "var")
    service = PrivacyService(settings, tracker_engine=stores["tracker"], database=stores["database"])
    uploads = UploadStore(settings.var_dir / "uploads")
    bom = BomResult(lines=[BomLine(2, "3S-1208", "Steckverschraubung", 50)])
    now = time.time()
    _add(stores, [_user_event("c-anna-1", "u-1001", "Stückliste", now), _user_event("c-other", "u-2001", "x", now)])
    anna_upload = uploads.save("c-anna-1", "anna.xlsx", bom)
    other_upload = uploads.save("c-other", "other.csv", bom)
    report = service.erase(user_id="u-1001")
    assert report.uploads == 1 and report.as_dict()["uploads"] == 1
    assert uploads.load("c-anna-1", anna_upload) is None and uploads.load("c-other", other_upload) is not None

    old = uploads.save("c-old", "old.csv", bom)
    old_file = next((settings.var_dir / "uploads").glob(f"*/{old}.json"))
    os.utime(old_file, (now - 200 * 86_400, now - 200 * 86_400))
    purged = service.purge(days=180)
    assert purged.uploads == 1 and uploads.load("c-old", old) is None
    assert uploads.load("c-other", other_upload) is not None


def test_the_tracker_holds_no_e_mail_or_name_of_a_logged_in_user(cluster) -> None:
    """Rasa keeps every turn's metadata for the retention period: who, yes; how to reach them, no."""
    from tests.production.conftest import Conversation, cluster_token, text_of

    chat = Conversation(cluster, cluster_token("anna.mueller@mueller-maschinenbau.de"))
    assert "Anna" in text_of(chat.say(0, "Hallo"))  # the greeting still knows her name, from the user directory
    chat.say(1, "Wo ist Auftrag 4711?")
    sender = "c-" + (chat.conversation_id or "").split(".")[0]
    engine = create_engine(cluster.tracker_url)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("SELECT data FROM events WHERE sender_id = :s"), {"s": sender})]
    assert rows and any('"u-1001"' in r for r in rows)
    assert not any("anna.mueller" in r or "Anna M" in r for r in rows)
