"""Hostile input through the real processes, and what ends up in the logs."""

from __future__ import annotations

import re

import pytest

from tests.production.conftest import Cluster, Conversation, cluster_token, text_of

pytestmark = pytest.mark.integration

HOSTILE = [
    "x" * 2000,
    "Bestellung " + "ä" * 1990,
    "{{7*7}} Wo ist Auftrag {{7*7}}?",
    "${7*7} order ${7*7}",
    "#{7*7} <%= 7*7 %> {% print(7*7) %}",
    "'; DROP TABLE orders; -- Auftrag 4711",
    "4711' OR '1'='1",
    "<script>alert(1)</script> Datenblatt",
    '<img src=x onerror="alert(1)"> datasheet',
    "javascript:alert(1)",
    "Auftrag \u202e1174\u202c bitte",  # RTL override
    "Bestell\u200bung 4711 \ufeff",  # zero-width space, BOM
    "Ｗｏ ｉｓｔ Ａｕｆｔｒａｇ ４７１１?",  # full-width letters
    "order\x00 4711",
    "line\r\nbreak\ttab\x1b[31mred\x07",
    "../../../../etc/passwd",
    "%00%0d%0a Set-Cookie: a=b",
    "🙂" * 500,
    "/order_status{\"order_number\": \"<script>\"}",
]
REFLECTION = re.compile(r"<script|<img|onerror=|javascript:|\u202e|\x00|\x1b|\{\{7\*7\}\}x|Set-Cookie", re.I)


@pytest.mark.parametrize("locale", ["de", "en"])
def test_hostile_strings_never_cause_5xx_and_are_never_reflected_raw(cluster: Cluster, locale: str) -> None:
    token = cluster_token("anna.mueller@mueller-maschinenbau.de")
    for n, hostile in enumerate(HOSTILE):
        chat = Conversation(cluster, token if n % 2 else None, locale=locale)
        response = chat.post(n % 2, hostile)
        assert response.status_code < 500, (hostile[:40], response.status_code, response.text[:300])
        assert response.status_code in (200, 400, 422), (hostile[:40], response.status_code)
        assert "Traceback" not in response.text
        if response.status_code == 200:
            reply = text_of(response.json()["messages"])
            assert not REFLECTION.search(reply), (hostile[:40], reply[:300])
            # no template evaluated (links are left out: the portal link carries a random test port, e.g. 56649)
            prose = re.sub(r"https?://\S+", "", reply)
            assert "49" not in prose or "49" in hostile, (hostile[:40], reply[:300])
        else:
            assert set(response.json()) == {"error"}


def test_no_personal_data_in_any_log_after_a_full_conversation(cluster: Cluster) -> None:
    """An RFQ with name, e-mail and phone through both replicas; then every log of every process is searched."""
    chat = Conversation(cluster)
    name, mail, phone = "Gerlinde Obermaier-Zwick", "gerlinde.obermaier@zwick-armaturen.de", "+49 8031 987654"
    steps = [
        ("payload", '/add_to_rfq{"sku":"3S-1208"}', "Wie viele Stück"),
        ("message", "120", "Anwendung"),
        ("message", f"Abfüllanlage, Rückruf bitte unter {phone}", "Firma"),
        ("message", "Zwick Armaturen GmbH", "Ansprechpartner"),
        ("message", name, "E-Mail"),
        ("message", mail, "Bitte prüfen Sie Ihre Anfrage"),
        ("payload", "/affirm", "RFQ-"),
    ]
    for n, (kind, value, expect) in enumerate(steps):
        messages = chat.say(n % 2, payload=value) if kind == "payload" else chat.say(n % 2, value)
        assert expect in text_of(messages), (n, text_of(messages))
    logs = cluster.log_text()
    assert logs, "the processes wrote no logs at all"
    for secret in (mail, "gerlinde.obermaier", phone, "987654", name, "Obermaier"):
        assert secret not in logs, f"{secret!r} found in the logs"


def test_the_message_that_once_stalled_a_worker_does_not_hold_up_another_conversation(cluster: Cluster) -> None:
    """A digit, 1,900 spaces, a letter and an article number in an RFQ: 11.4 s of backtracking on the event loop
    once (the turn got a 503, /healthz waited). Now it is answered like any turn while another conversation goes on."""
    import threading
    import time

    hostile = Conversation(cluster)
    assert "Wie viele Stück" in text_of(hostile.say(0, payload='/add_to_rfq{"sku":"3S-1208"}'))
    other = Conversation(cluster, cluster_token("anna.mueller@mueller-maschinenbau.de"))
    other.say(0, "Hallo")
    result: dict[str, float | int] = {}

    def send() -> None:
        started = time.perf_counter()
        result["status"] = hostile.post(0, "1" + " " * 1900 + "a 3S-1208").status_code
        result["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=send)
    thread.start()
    latencies = []
    for text in ("Wo ist Auftrag 4711?", "Was kannst du?", "danke"):
        started = time.perf_counter()
        other.say(0, text)
        latencies.append(time.perf_counter() - started)
    thread.join(30)
    # generous for a loaded CI machine, and still well below the 11.4 s the message once took
    assert result.get("status") == 200 and float(result["seconds"]) < 8.0, result
    assert max(latencies) < 8.0, latencies
