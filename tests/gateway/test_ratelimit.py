"""Rate limits shared by workers, per identity and per client, IPv6 per /64, LRU; the client address; admin login."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from assistant.gateway import admin
from assistant.gateway import chat as chat_module
from assistant.gateway.app import create_app
from assistant.gateway.ratelimit import LruMemoryStorage, RateLimits, client_address, client_group, make_limits
from assistant.settings import Settings, get_settings
from tests.conftest import skip_or_fail
from tests.gateway.fakes import FakeRasa, bearer


def request_from(peer: str, forwarded: str | None = None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "client": (peer, 1234),
                    "query_string": b""})


# ------------------------------------------------------------------ who the client is
def test_the_client_is_the_socket_unless_it_is_a_trusted_proxy() -> None:
    plain = Settings()
    assert str(client_address(request_from("203.0.113.7", "127.0.0.1"), plain)) == "203.0.113.7"
    proxied = Settings(trusted_proxies=["10.0.0.0/8"])
    assert str(client_address(request_from("10.0.0.2", "198.51.100.9"), proxied)) == "198.51.100.9"
    # the client may send its own header: the proxy appends the address it saw; the right-most untrusted counts
    chain = request_from("10.0.0.2", "127.0.0.1, 198.51.100.9, 10.0.0.3")
    assert str(client_address(chain, proxied)) == "198.51.100.9"
    assert str(client_address(request_from("203.0.113.7", "198.51.100.9"), proxied)) == "203.0.113.7"
    assert str(client_address(request_from("10.0.0.2", "garbage"), proxied)) == "10.0.0.2"
    with pytest.raises(ValueError):
        Settings(trusted_proxies=["not-a-network"])


def test_ipv6_clients_are_grouped_per_64_and_mapped_ipv4_is_ipv4() -> None:
    a = client_address(request_from("2001:db8:1:2::1"), Settings())
    b = client_address(request_from("2001:db8:1:2:ffff:ffff:ffff:ffff"), Settings())
    c = client_address(request_from("2001:db8:1:3::1"), Settings())
    assert client_group(a) == client_group(b) == "2001:db8:1:2::/64" != client_group(c)
    assert client_group(client_address(request_from("::ffff:203.0.113.7"), Settings())) == "203.0.113.7"


# ------------------------------------------------------------------ counting
def test_least_recently_used_keys_are_forgotten_first_never_everybody() -> None:
    """The old buckets cleared every client, the throttled ones included, when 50k keys had piled up."""
    limits = RateLimits(LruMemoryStorage(max_keys=5))
    rule = "3/minute"
    for _ in range(3):
        assert limits.wait((rule, "attacker")) == 0
    for n in range(50):  # a flood of new clients, the throttled one still knocking
        assert limits.wait((rule, f"new-{n}")) == 0
        assert limits.wait((rule, "attacker")) > 0
    assert isinstance(limits.storage, LruMemoryStorage) and limits.storage.known_keys() <= 5


def test_one_request_counts_against_identity_and_client() -> None:
    limits = RateLimits(LruMemoryStorage())
    assert limits.wait(("2/minute", "id-a"), ("3/minute", "client")) == 0
    assert limits.wait(("2/minute", "id-b"), ("3/minute", "client")) == 0
    assert limits.wait(("2/minute", "id-c"), ("3/minute", "client")) == 0
    assert limits.wait(("2/minute", "id-d"), ("3/minute", "client")) > 0  # the client's budget is used up
    assert limits.wait(("2/minute", "id-a"), ("3/minute", "other-client")) == 0
    assert limits.wait(("2/minute", "id-a"), ("3/minute", "third-client")) > 0  # the identity's is too


def _redis_settings() -> Settings:
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        skip_or_fail("Redis is not reachable at 127.0.0.1:6379")
    return Settings(redis_host="127.0.0.1", redis_port=6379)


def test_workers_and_replicas_share_one_count_in_redis() -> None:
    settings = _redis_settings()
    worker_a, worker_b = make_limits(settings), make_limits(settings)  # as two processes would each build it
    key = RateLimits.key("test", uuid.uuid4().hex)
    assert worker_a.wait(("3/minute", key)) == 0
    assert worker_b.wait(("3/minute", key)) == 0
    assert worker_a.wait(("3/minute", key)) == 0
    assert worker_b.wait(("3/minute", key)) > 0


def test_a_rate_limit_store_that_is_down_lets_requests_through() -> None:
    limits = make_limits(Settings(redis_host="127.0.0.1", redis_port=1))
    assert limits.wait(("1/minute", "k")) == 0 and limits.wait(("1/minute", "k")) == 0


# ------------------------------------------------------------------ through the app
@pytest.fixture
def chat(monkeypatch) -> FakeRasa:
    monkeypatch.setenv("ASSISTANT_RATE_LIMIT_PER_MINUTE", "3")
    get_settings.cache_clear()
    fake = FakeRasa()
    monkeypatch.setattr(chat_module, "get_rasa_client", lambda: fake)
    chat_module._limiter.cache_clear()
    return fake


@pytest.mark.parametrize(("locale", "word"), [("de", "Zu viele Nachrichten"), ("en", "Too many messages")])
def test_a_spoofed_forwarded_for_does_not_buy_more_turns(chat, locale: str, word: str) -> None:
    client = TestClient(create_app(), client=("203.0.113.7", 5555))
    codes = [client.post("/api/chat", json={"message": "Hallo", "locale": locale},
                         headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    refused = client.post("/api/chat", json={"message": "Hallo", "locale": locale})
    assert word in refused.json()["error"]["message"]


def test_logged_in_people_are_counted_by_identity_and_their_office_by_address(chat) -> None:
    office = TestClient(create_app(), client=("203.0.113.7", 5555))
    anna, thomas = bearer("u-1001"), bearer("u-1002")
    assert [office.post("/api/chat", json={"message": "Hallo"}, headers=anna).status_code
            for _ in range(4)] == [200, 200, 200, 429]
    assert office.post("/api/chat", json={"message": "Hallo"}, headers=thomas).status_code == 200


def test_a_spoofed_forwarded_for_never_opens_the_metrics(chat) -> None:
    remote = TestClient(create_app(), client=("203.0.113.7", 5555))
    assert remote.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403
    assert TestClient(create_app(), client=("127.0.0.1", 5555)).get("/metrics").status_code == 200


def test_uvicorn_does_not_rewrite_the_client_from_headers() -> None:
    """The app reads X-Forwarded-For itself, from trusted proxies only; uvicorn would trust any loopback peer."""
    import inspect

    from assistant import cli, runner

    assert "--no-proxy-headers" in inspect.getsource(runner.Stack.start_app)
    assert "proxy_headers=False" in inspect.getsource(cli._cmd_serve)


# ------------------------------------------------------------------ admin login
def _login(client: TestClient, password: str, lang: str = "de") -> Any:
    import re

    page = client.get(f"/admin/login?lang={lang}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    return client.post(f"/admin/login?lang={lang}", data={"username": "admin", "password": password,
                                                          "csrf": csrf.group(1) if csrf else ""})


@pytest.fixture
def admin_app(tmp_path, monkeypatch) -> Any:
    monkeypatch.setenv("ASSISTANT_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    admin._login_limiter.cache_clear()
    return create_app()


@pytest.mark.parametrize(("lang", "text"), [("de", "Zu viele Anmeldeversuche"), ("en", "Too many login attempts")])
def test_guesses_from_many_addresses_meet_a_global_backoff(admin_app, lang: str, text: str) -> None:
    for n in range(40):  # 40 addresses, a guess or two each: no per-client limit is ever reached
        guesser = TestClient(admin_app, client=(f"198.51.100.{n}", 4000), follow_redirects=False)
        _login(guesser, f"guess-{n}", lang)
    newcomer = TestClient(admin_app, client=("203.0.113.99", 4000), follow_redirects=False)
    refused = _login(newcomer, "admin", lang)
    assert refused.status_code == 429 and text in refused.text


def test_logging_out_ends_the_session_in_every_browser(admin_app) -> None:
    office = TestClient(admin_app, client=("203.0.113.1", 4000), follow_redirects=False)
    laptop = TestClient(admin_app, client=("203.0.113.2", 4000), follow_redirects=False)
    assert _login(office, "admin").status_code == 303 and _login(laptop, "admin").status_code == 303
    assert office.get("/admin").status_code == 200 and laptop.get("/admin").status_code == 200
    stolen = laptop.cookies.get("kb_admin")
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', office.get("/admin").text)
    assert csrf and office.post("/admin/logout", data={"csrf": csrf.group(1)}).status_code == 303
    assert laptop.get("/admin").status_code == 303  # redirected to the login: the session is over
    replay = TestClient(admin_app, client=("203.0.113.3", 4000), follow_redirects=False)
    replay.cookies.set("kb_admin", stolen, path="/admin")
    assert replay.get("/admin").status_code == 303
    assert _login(laptop, "admin").status_code == 303 and laptop.get("/admin").status_code == 200


def test_the_session_version_is_shared_through_redis_by_every_replica() -> None:
    from assistant.gateway.sessions import SessionVersion

    settings = _redis_settings()
    replica_a, replica_b = SessionVersion(settings), SessionVersion(settings)
    before = replica_b.current()
    assert replica_a.bump() == before + 1 and replica_b.current() == before + 1
