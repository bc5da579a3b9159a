"""A two-replica cluster on loopback: two Rasa processes and two app processes over one PostgreSQL and one Redis.

Redis is this module's own ``redis-server`` on a free port, so the fault tests can kill and restart it without
touching anyone else's. PostgreSQL is the machine's server (two fresh databases: commerce and tracker). The
replicas run the production profile with throw-away strong secrets; the knowledge index uses the hash embedder
(these tests are about processes, not answers).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.loadtest import LOAD_SECRETS, cli, free_port, pg_env, recreate_pg_database
from assistant.runner import Stack
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import skip_or_fail


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3):
            return True
    except Exception:
        return False


class RedisServer:
    """A private redis-server that a test may stop and start again on the same port."""

    def __init__(self, port: int, folder: Path):
        self.port, self.folder = port, folder
        self.proc: subprocess.Popen[bytes] | None = None

    def up(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        binary = shutil.which("redis-server")
        if binary is None:
            skip_or_fail("redis-server is not installed")
        self.proc = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_timeout=0.5).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def down(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@dataclass
class Cluster:
    env: dict[str, str]
    replicas: list[Stack]
    redis: RedisServer
    work: Path
    tracker_url: str
    commerce_url: str
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, i: int) -> str:
        return self.replicas[i].app_url

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted((self.work / "log").rglob("*.log")))


def replica_env(common: dict[str, str], i: int) -> dict[str, str]:
    return {**common, "ASSISTANT_PORT": str(free_port()), "ASSISTANT_RASA_URL": f"http://127.0.0.1:{free_port()}"}


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if not Settings().rasa_model.exists():
        pytest.fail("no trained Rasa model: run `make train` (make test does)")
    if not _pg_available():
        skip_or_fail("PostgreSQL is not reachable at 127.0.0.1:5432")
    work = Path(tempfile.mkdtemp(prefix="cluster-", dir=Settings().var_dir))
    redis = RedisServer(free_port(), work)
    redis.up()
    commerce_url = recreate_pg_database("assistant_cluster")
    tracker_db = "assistant_cluster_rasa"
    tracker_url = recreate_pg_database(tracker_db)
    common = {
        **LOAD_SECRETS,
        **pg_env(tracker_db),
        "ASSISTANT_PROFILE": "production",
        "ASSISTANT_VAR_DIR": str(work),
        "ASSISTANT_DATABASE_URL": commerce_url,
        "ASSISTANT_RASA_TRACKER_URL": tracker_url,
        "ASSISTANT_RASA_ENDPOINTS": str(PROJECT_ROOT / "endpoints.production.yml"),
        "ASSISTANT_REDIS_HOST": "127.0.0.1",
        "ASSISTANT_REDIS_PORT": str(redis.port),
        "ASSISTANT_EMBEDDING_BACKEND": "hash",
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "100000",
        "ASSISTANT_SMTP_PORT": str(free_port()),
        "ASSISTANT_RASA_TIMEOUT_S": "20",
    }
    env = {**os.environ, **common}
    cli(env, "db", "upgrade")
    cli(env, "demo", "seed")
    cli(env, "kb", "build")
    replicas: list[Stack] = []
    for i in range(2):
        renv = replica_env(common, i)
        saved = dict(os.environ)
        os.environ.update(renv)
        try:
            settings = Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        replicas.append(Stack(settings=settings, extra_env=renv, log_dir=work / "log" / f"replica{i}"))
    try:
        for stack in replicas:
            stack.start_app()
            stack.start_rasa()
        for stack in replicas:
            stack.wait_rasa(300)
            stack.wait_app(120)
        yield Cluster(common, replicas, redis, work, tracker_url, commerce_url)
    finally:
        for stack in replicas:
            stack.stop()
        redis.down()


class Conversation:
    """One conversation whose turns may go to any replica (as a load balancer without stickiness would)."""

    def __init__(self, cluster: Cluster, token: str | None = None, locale: str = "de"):
        self.cluster, self.token, self.locale = cluster, token, locale
        self.conversation_id: str | None = None
        self.client = httpx.Client(timeout=40)

    def post(self, replica: int, message: str | None = None, payload: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"locale": self.locale, "conversation_id": self.conversation_id}
        body["payload" if payload is not None else "message"] = payload if payload is not None else message
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(f"{self.cluster.url(replica)}/api/chat", json=body, headers=headers)
        if response.status_code == 200:
            self.conversation_id = response.json()["conversation_id"]
        return response

    def say(self, replica: int, message: str | None = None, payload: str | None = None) -> list[dict[str, Any]]:
        response = self.post(replica, message, payload)
        assert response.status_code == 200, response.text
        return response.json()["messages"]


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or "") for m in messages)


def cluster_token(email: str) -> str:
    from assistant.commerce.demo_people import find_user
    from assistant.identity import mint_token

    user = find_user(email)
    assert user is not None
    saved = dict(os.environ)
    os.environ.update(LOAD_SECRETS)
    try:
        settings = Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return mint_token(sub=user.id, customer=user.customer, roles=user.roles, locale=user.locale, email=user.email,
                      name=user.name, settings=settings)


def python() -> str:
    return sys.executable
