"""`make loadtest`: many concurrent conversations against three ways of running the stack, bounded in time.

Configurations (each started on free loopback ports, then stopped):

* ``default``    - the single-machine default: SQLite commerce data and tracker, in-memory lock store, one Rasa
  process started through rasa_addons/launch.py, one uvicorn worker.
* ``production`` - the production profile on one machine: Rasa with 2 Sanic workers sharing a PostgreSQL tracker
  store and the Redis lock store, the app with 2 uvicorn workers, commerce data on PostgreSQL.
* ``stock``      - Rasa as shipped: plain ``rasa run`` (no launch.py fixes), 1 worker, otherwise like ``default``.

Per configuration two phases run for ``--duration`` seconds each with ``--conversations`` concurrent
conversations drawn from a realistic mix (knowledge questions, product finder, RFQ, reorder, order status,
documents; German and English; anonymous and logged-in):

* ``paced``: people read and type, so every conversation waits ``--think`` seconds (uniform range) between
  turns. This is what the latency target (p95 <= 800 ms) is about.
* ``saturated``: no think time: every conversation sends its next turn as soon as the reply arrives. This
  measures the most turns per second the configuration serves (the throughput target: >= 2x stock).

* ``paced_hostile``: the paced phase again on the same stack while one extra client sends a hostile RFQ message
  every ``--hostile-every`` seconds (a digit, 1,900 spaces, a letter and an article number: it once made the
  quantity parser backtrack for 11 s on the event loop). Its turns are kept apart; the other conversations' p95
  per flow is compared with the ``paced`` phase (target: no flow's p95 more than 20 % higher).
* ``paced_ab``: the same question, robust to a machine whose other load drifts: one paced run in which the hostile
  client is active only in every second ``--ab-window`` seconds; each turn counts for the kind of window it
  started in (the first window, while people still arrive, for neither), and the p95 of the hostile windows is
  compared with that of the calm ones.

A turn is an error when the HTTP status is not 200, the reply is the internal-error/backend-unavailable text, or
a phrase the script expects is missing. The client only talks to 127.0.0.1. Results: JSON under var/bench/ and
a Markdown table (var/bench/loadtest.md, also printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from assistant.bench import percentile
from assistant.runner import RASA_PYTHON, Stack
from assistant.settings import PROJECT_ROOT, Settings

RASA_BIN = RASA_PYTHON.parent / "rasa"
PG_DSN = os.environ.get("ASSISTANT_LOADTEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Strong, throw-away secrets: the production profile refuses the development ones.
LOAD_SECRETS = {
    "ASSISTANT_JWT_SECRET": "loadtest-jwt-secret-0123456789abcdef",
    "ASSISTANT_IDENTITY_SECRET": "loadtest-identity-secret-0123456789",
    "ASSISTANT_ACTION_TOKEN": "loadtest-action-token-0123456789",
    "ASSISTANT_RASA_TOKEN": "loadtest-rasa-token-0123456789",
    "ASSISTANT_LINK_SECRET": "loadtest-link-secret-0123456789",
    "ASSISTANT_ADMIN_PASSWORD": "loadtest-admin-password-0123456789",
    "ASSISTANT_METRICS_TOKEN": "loadtest-metrics-token-0123456789",
    "ASSISTANT_JWT_ISSUER": "https://shop.loadtest.invalid",
    "ASSISTANT_JWT_AUDIENCE": "assistant",
}

ANNA = ("u-1001", "anna.mueller@mueller-maschinenbau.de")
THOMAS = ("u-1002", "thomas.berger@mueller-maschinenbau.de")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ PostgreSQL / Redis helpers (tests use them too)
def recreate_pg_database(name: str, dsn: str = PG_DSN) -> str:
    """Drop and create a database; returns its SQLAlchemy URL (psycopg 3)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def pg_env(rasa_db: str) -> dict[str, str]:
    """The ASSISTANT_RASA_DB_* variables endpoints.production.yml reads."""
    from urllib.parse import urlparse

    parsed = urlparse(PG_DSN)
    return {
        "ASSISTANT_RASA_DB_HOST": parsed.hostname or "127.0.0.1",
        "ASSISTANT_RASA_DB_PORT": str(parsed.port or 5432),
        "ASSISTANT_RASA_DB_NAME": rasa_db,
        "ASSISTANT_RASA_DB_USER": parsed.username or "postgres",
        "ASSISTANT_RASA_DB_PASSWORD": parsed.password or "unused-trust-auth",
    }


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=PROJECT_ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


class StockStack(Stack):
    """Rasa started with plain ``rasa run``: no compiled action-result validation, Rasa's own tracker fallback."""

    def start_rasa(self) -> None:
        model = self.settings.rasa_model
        host, port = self.settings.rasa_url.rsplit(":", 1)[0].split("//")[1], self.settings.rasa_url.rsplit(":", 1)[1]
        (self.settings.var_dir / "rasa").mkdir(parents=True, exist_ok=True)
        cmd = [
            str(RASA_BIN), "run", "--model", str(model), "--endpoints", str(self.settings.rasa_endpoints),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"), "--interface", host, "--port", port,
            # Plain Rasa reads its API token only from argv, which ps shows to everyone: the stock baseline runs
            # its API on loopback without a token instead (a throw-away benchmark process and tracker).
            "--enable-api", "--response-timeout", "30",
        ]
        self.processes["rasa"] = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=self._env(), stdout=self._log("rasa"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@dataclass
class Topology:
    """One configuration to start: the stack class, its environment and its worker counts."""

    name: str
    env: dict[str, str]
    rasa_workers: int = 1
    app_workers: int = 1
    stack_class: type[Stack] = Stack
    log_dir: Path | None = None

    def settings(self) -> Settings:
        saved = dict(os.environ)
        try:
            os.environ.update(self.env)
            return Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def stack(self) -> Stack:
        # RFQs and approvals send mail, as in a shop whose mail server is up (the outage is a fault test)
        return self.stack_class(settings=self.settings(), rasa_workers=self.rasa_workers,
                                app_workers=self.app_workers, extra_env=self.env, log_dir=self.log_dir,
                                mail_sink=True)


def base_env(work: Path, name: str) -> dict[str, str]:
    """Free ports, the shared knowledge index, a private tracker, generous rate limits (one client IP)."""
    var = Settings().var_dir
    return {
        **LOAD_SECRETS,
        "ASSISTANT_PORT": str(free_port()),
        "ASSISTANT_RASA_URL": f"http://127.0.0.1:{free_port()}",
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "1000000",
        "ASSISTANT_INDEX_DIR": str(Settings().resolved_index_dir),
        "ASSISTANT_VAR_DIR": str(var),
        "ASSISTANT_RASA_TRACKER_DB": str(work / f"tracker-{name}.db"),
        "ASSISTANT_SMTP_PORT": str(free_port()),  # the mail sink of each configuration (var/mail)
    }


def sqlite_topology(work: Path, name: str, stock: bool = False) -> Topology:
    env = base_env(work, name)
    db = work / f"commerce-{name}.db"
    if db.exists():
        db.unlink()
    env["ASSISTANT_DATABASE_URL"] = f"sqlite:///{db}"
    cli({**os.environ, **env}, "db", "upgrade")
    cli({**os.environ, **env}, "demo", "seed")
    env["ASSISTANT_RASA_TRACKER_URL"] = f"sqlite:///{work / f'tracker-{name}.db'}"
    with contextlib.suppress(FileNotFoundError):
        (work / f"tracker-{name}.db").unlink()
    return Topology(name, env, stack_class=StockStack if stock else Stack, log_dir=work / "log" / name)


def production_topology(work: Path, name: str = "production", rasa_workers: int = 2, app_workers: int = 2,
                        redis_port: int = REDIS_PORT) -> Topology:
    env = base_env(work, name)
    env["ASSISTANT_PROFILE"] = "production"
    env["ASSISTANT_DATABASE_URL"] = recreate_pg_database(f"assistant_{name}")
    rasa_db = f"assistant_{name}_rasa"
    tracker_url = recreate_pg_database(rasa_db)
    env.update(pg_env(rasa_db))
    env["ASSISTANT_RASA_TRACKER_URL"] = tracker_url
    env["ASSISTANT_RASA_ENDPOINTS"] = str(PROJECT_ROOT / "endpoints.production.yml")
    env["ASSISTANT_REDIS_HOST"], env["ASSISTANT_REDIS_PORT"] = REDIS_HOST, str(redis_port)
    prom = work / f"prometheus-{name}"
    shutil.rmtree(prom, ignore_errors=True)
    prom.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(prom)
    cli({**os.environ, **env}, "db", "upgrade")
    cli({**os.environ, **env}, "demo", "seed")
    return Topology(name, env, rasa_workers=rasa_workers, app_workers=app_workers, log_dir=work / "log" / name)


# ------------------------------------------------------------------ conversations
@dataclass(frozen=True)
class Turn:
    message: str | None = None
    payload: str | None = None
    button: tuple[str, ...] = ()  # press the first button whose title starts with one of these
    button_payload: str | None = None  # ... or whose payload starts with this
    expect: str | tuple[str, ...] | None = None  # one of these phrases must be in the reply


@dataclass(frozen=True)
class Scenario:
    flow: str
    locale: str
    user: tuple[str, str] | None
    turns: tuple[Turn, ...]
    weight: float


def _rfq_turns() -> tuple[Turn, ...]:
    from assistant.bench_rfq import SCRIPT

    # From a product page's "add to RFQ" button (the finder flow is measured on its own), then the benchmark script.
    return (
        Turn(payload='/add_to_rfq{"sku":"3S-1208"}', expect="Wie viele Stück"),
        *(Turn(message=value if kind == "message" else None, payload=value if kind == "payload" else None,
               expect=expect or None) for kind, value, expect in SCRIPT[2:]),
    )


def scenarios() -> list[Scenario]:
    """The mix: weights are the share of conversations, roughly what a shop's chat sees."""
    return [
        Scenario("knowledge", "de", None, (Turn("Welcher Schlauch eignet sich für Heißdampf bis 180 °C?"),
                                           Turn("Und welche Dichtung passt dazu?")), 0.15),
        Scenario("knowledge", "en", None, (Turn("Which seal material is suitable for food contact?"),), 0.10),
        Scenario("finder", "de", None, (Turn("Ich suche eine Steckverschraubung aus Edelstahl für Druckluft, 8 mm"),),
                 0.08),
        Scenario("finder", "en", None, (Turn("I need a push-in fitting for compressed air"),
                                        Turn("8 mm, stainless steel")), 0.07),
        Scenario("rfq", "de", None, _rfq_turns(), 0.10),
        Scenario("reorder", "de", ANNA, (Turn("Bestellung vom letzten Montag nochmal bitte",
                                              expect="Nachbestellung von Auftrag"),
                                         # placed, or (once the month's budget is used up) waiting for approval
                                         Turn(button=("Mit Nachfolgeartikel bestellen", "Bestellen"),
                                              expect=("Vielen Dank", "wartet jetzt auf Freigabe"))), 0.08),
        Scenario("reorder", "en", ANNA, (Turn("reorder last Monday's order"),
                                         Turn(button=("Order with successor", "Place order", "Order"))), 0.07),
        Scenario("status", "de", ANNA, (Turn("Wo ist Auftrag 4711?", expect="Auftrag 4711"),), 0.10),
        Scenario("status", "en", THOMAS, (Turn("why is order 4715 delayed?", expect="Order 4715"),), 0.10),
        Scenario("documents", "de", ANNA, (Turn("3.1-Zeugnis für Lieferung 80012"),), 0.08),
        Scenario("documents", "en", None, (Turn("datasheet for 3S-1208"),), 0.07),
    ]



def _failure_texts() -> tuple[str, ...]:
    from assistant import i18n

    return tuple(i18n.t(key, lang) for key in ("internal_error", "backend_unavailable") for lang in ("de", "en"))


@dataclass
class Record:
    flow: str
    latency_s: float
    ok: bool
    error: str | None = None
    done_at: float = field(default_factory=time.monotonic)
    hostile_window: bool | None = None  # paced_ab: started in a hostile (True) or calm (False) window


HOSTILE_MESSAGE = "1" + " " * 1900 + "a 3S-1208"


@dataclass
class Run:
    records: list[Record] = field(default_factory=list)
    hostile: list[Record] = field(default_factory=list)  # the hostile client's turns, not part of the others' stats
    ab_window_s: float | None = None  # paced_ab: the hostile client is active in every second window of this length

    def window(self) -> int:
        return int((time.monotonic() - self.started_at) // (self.ab_window_s or 1))

    def hostile_now(self) -> bool:
        if self.ab_window_s is None:
            return True
        return self.window() % 2 == 1

    def ab_window_kind(self) -> bool | None:
        """paced_ab: True in a hostile window, False in a calm one, None in the first (people still arriving)."""
        if self.ab_window_s is None or self.window() == 0:
            return None
        return self.hostile_now()
    conversations: int = 0
    wall_s: float = 0.0
    started_at: float = 0.0


class Client:
    def __init__(self, base_url: str, settings: Settings, think: tuple[float, float], seed: int):
        if not base_url.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise ValueError("the load test only talks to loopback")
        self.base_url, self.settings, self.think = base_url, settings, think
        self.rng = random.Random(seed)
        self.failures = _failure_texts()

    def token(self, user: tuple[str, str]) -> str:
        from assistant.commerce.demo_people import find_user
        from assistant.identity import mint_token

        person = find_user(user[1])
        if person is None:
            raise LookupError(user[1])
        return mint_token(sub=person.id, customer=person.customer, roles=person.roles, locale=person.locale,
                          email=person.email, name=person.name, settings=self.settings)

    async def conversation(self, http: httpx.AsyncClient, scenario: Scenario, deadline: float, run: Run) -> None:
        headers = {"Authorization": f"Bearer {self.token(scenario.user)}"} if scenario.user else {}
        conversation_id: str | None = None
        messages: list[dict[str, Any]] = []
        run.conversations += 1
        for n, turn in enumerate(scenario.turns):
            if time.monotonic() >= deadline:
                return
            if n and self.think[1] > 0:
                await asyncio.sleep(self.rng.uniform(*self.think))
            body: dict[str, Any] = {"locale": scenario.locale, "conversation_id": conversation_id}
            if turn.button or turn.button_payload:
                payload = next((b["payload"] for m in messages for b in m.get("buttons") or []
                                if (turn.button and str(b.get("title", "")).startswith(turn.button))
                                or (turn.button_payload and str(b.get("payload", "")).startswith(turn.button_payload))),
                               None)
                if payload is None:
                    seen = "/".join(str(m.get("type")) for m in messages)
                    run.records.append(Record(scenario.flow, 0.0, False, f"button missing after {seen}"))
                    return
                body["payload"] = payload
            elif turn.payload:
                body["payload"] = turn.payload
            else:
                body["message"] = turn.message
            started = time.perf_counter()
            in_hostile_window = run.ab_window_kind()
            try:
                response = await http.post("/api/chat", json=body,
                                            headers={**headers, "X-Request-Id": uuid.uuid4().hex})
            except httpx.HTTPError as exc:
                run.records.append(Record(scenario.flow, time.perf_counter() - started, False, type(exc).__name__,
                                           hostile_window=in_hostile_window))
                return
            latency = time.perf_counter() - started
            if response.status_code != 200:
                run.records.append(Record(scenario.flow, latency, False, f"HTTP {response.status_code}",
                                           hostile_window=in_hostile_window))
                return
            data = response.json()
            conversation_id, messages = data["conversation_id"], data["messages"]
            text = "\n".join(str(m.get("text") or "") for m in messages)
            if any(f in text for f in self.failures):
                run.records.append(Record(scenario.flow, latency, False, "error reply",
                                          hostile_window=in_hostile_window))
                return
            wanted = (turn.expect,) if isinstance(turn.expect, str) else (turn.expect or ())
            if wanted and not any(w in text for w in wanted):
                run.records.append(Record(scenario.flow, latency, False, f"missing {wanted[0]!r}",
                                           hostile_window=in_hostile_window))
                return
            run.records.append(Record(scenario.flow, latency, True, hostile_window=in_hostile_window))

    async def worker(self, http: httpx.AsyncClient, deadline: float, run: Run) -> None:
        mix = scenarios()
        weights = [s.weight for s in mix]
        if self.think[1] > 0:
            # People arrive over time, not all in the same millisecond: start within one think time.
            await asyncio.sleep(self.rng.uniform(0, self.think[1]))
        while time.monotonic() < deadline:
            scenario = self.rng.choices(mix, weights)[0]
            await self.conversation(http, scenario, deadline, run)
            if self.think[1] > 0 and time.monotonic() < deadline:
                await asyncio.sleep(self.rng.uniform(*self.think))

    async def hostile_sender(self, http: httpx.AsyncClient, deadline: float, run: Run, every_s: float,
                             text: str = HOSTILE_MESSAGE) -> None:
        """An anonymous visitor who starts an RFQ and sends the message that once stalled the app, again and again.

        With an ordinary ``text`` ("120") the same visitor is the control: what any extra client costs the others.
        """
        await asyncio.sleep(min(every_s, 5.0))
        while time.monotonic() < deadline:
            if not run.hostile_now():
                await asyncio.sleep(0.2)
                continue
            body: dict[str, Any] = {"locale": "de", "payload": '/add_to_rfq{"sku":"3S-1208"}'}
            started = time.perf_counter()
            try:
                first = await http.post("/api/chat", json=body)
                body = {"locale": "de", "message": text, "conversation_id": first.json().get("conversation_id")}
                started = time.perf_counter()
                response = await http.post("/api/chat", json=body)
                run.hostile.append(Record("hostile", time.perf_counter() - started, response.status_code == 200,
                                          None if response.status_code == 200 else f"HTTP {response.status_code}"))
            except (httpx.HTTPError, ValueError) as exc:
                run.hostile.append(Record("hostile", time.perf_counter() - started, False, type(exc).__name__))
            await asyncio.sleep(every_s)

    async def run(self, conversations: int, duration_s: float, hostile_every_s: float | None = None,
                  ab_window_s: float | None = None, extra_text: str = HOSTILE_MESSAGE) -> Run:
        run = Run(ab_window_s=ab_window_s)
        limits = httpx.Limits(max_connections=conversations + 10, max_keepalive_connections=conversations + 10)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30.0, limits=limits) as http:
            started = run.started_at = time.monotonic()
            deadline = started + duration_s
            tasks = [self.worker(http, deadline, run) for _ in range(conversations)]
            if hostile_every_s:
                tasks.append(self.hostile_sender(http, deadline, run, hostile_every_s, extra_text))
            await asyncio.gather(*tasks)
            run.wall_s = time.monotonic() - started
        return run


def summarise(run: Run) -> dict[str, Any]:
    def stats(records: list[Record]) -> dict[str, Any]:
        ms = [r.latency_s * 1000 for r in records if r.ok]
        errors = [r for r in records if not r.ok]
        kinds: dict[str, int] = defaultdict(int)
        for r in errors:
            kinds[r.error or "?"] += 1
        return {
            "turns": len(records),
            "errors": len(errors),
            "error_kinds": dict(kinds),
            "throughput_turns_s": round(len(records) / run.wall_s, 2) if run.wall_s else 0.0,
            "p50_ms": round(percentile(ms, 50), 1) if ms else None,
            "p95_ms": round(percentile(ms, 95), 1) if ms else None,
            "p99_ms": round(percentile(ms, 99), 1) if ms else None,
        }

    by_flow: dict[str, list[Record]] = defaultdict(list)
    by_window: dict[int, list[float]] = defaultdict(list)
    for r in run.records:
        by_flow[r.flow].append(r)
        if r.ok:
            by_window[int((r.done_at - run.started_at) // 10) * 10].append(r.latency_s * 1000)
    hostile_ms = [r.latency_s * 1000 for r in run.hostile]
    extra = {"hostile": {"turns": len(run.hostile), "errors": sum(not r.ok for r in run.hostile),
                         "max_ms": round(max(hostile_ms), 1) if hostile_ms else None}} if run.hostile else {}
    if run.ab_window_s is not None:
        calm = [r for r in run.records if r.hostile_window is False]
        attacked = [r for r in run.records if r.hostile_window is True]
        flows = sorted({r.flow for r in run.records})
        # p95 of each window, then the median over windows of a kind: one window hit by something else on the
        # machine (another process's burst) moves a pooled p95 a lot and this hardly at all
        per_window: dict[int, list[float]] = defaultdict(list)
        for r in run.records:
            if r.ok and r.hostile_window is not None:
                per_window[int((r.done_at - r.latency_s - run.started_at) // run.ab_window_s)].append(
                    r.latency_s * 1000)
        window_p95 = {w: percentile(ms, 95) for w, ms in per_window.items() if len(ms) >= 20}
        extra["ab_window_p95_ms"] = {
            kind: {"windows": len(values), "median": round(statistics.median(values), 1) if values else None}
            for kind, values in (("calm", [v for w, v in window_p95.items() if w % 2 == 0]),
                                 ("hostile", [v for w, v in window_p95.items() if w % 2 == 1]))}
        extra["ab"] = {"window_s": run.ab_window_s,
                       "calm": {"all": stats(calm), **{f: stats([r for r in calm if r.flow == f]) for f in flows}},
                       "hostile": {"all": stats(attacked),
                                   **{f: stats([r for r in attacked if r.flow == f]) for f in flows}}}
    return {**extra, "total": stats(run.records), "conversations_started": run.conversations,
            "wall_s": round(run.wall_s, 1), "flows": {f: stats(rs) for f, rs in sorted(by_flow.items())},
            # p95 per 10-second window: shows whether slow turns cluster (start-up, a stall) or are spread out
            "p95_ms_by_10s": {str(w): round(percentile(ms, 95), 1) for w, ms in sorted(by_window.items())}}


async def _warm_up(base_url: str, rounds: int = 3) -> None:
    """Concurrent turns of every kind first, so that every worker process has loaded its model and index."""
    texts = ("Hallo", "Welche Dichtung für Lebensmittel?", "datasheet for 3S-1208",
             "Ich suche eine Steckverschraubung aus Edelstahl für Druckluft, 8 mm")
    async with httpx.AsyncClient(base_url=base_url, timeout=120.0) as http:
        for _ in range(rounds):
            calls = [http.post("/api/chat", json={"message": t, "locale": "de"}) for t in texts for _ in range(2)]
            await asyncio.gather(*calls, return_exceptions=True)


def measure(topology: Topology, conversations: int, duration_s: float, think: tuple[float, float],
            phases: list[str], hostile_every_s: float = 5.0, ab_window_s: float = 15.0,
            extra_text: str = HOSTILE_MESSAGE) -> dict[str, Any]:
    stack = topology.stack()
    print(f"== {topology.name}: starting (rasa workers {topology.rasa_workers}, app workers "
          f"{topology.app_workers})", flush=True)
    ready = stack.start(timeout=300)
    result: dict[str, Any] = {"startup_s": round(ready, 1), "rasa_workers": topology.rasa_workers,
                              "app_workers": topology.app_workers, "phases": {},
                              # other work on the machine distorts the numbers: record how busy it was
                              "load_average_before": list(os.getloadavg())}
    try:
        asyncio.run(_warm_up(stack.app_url))
        for phase in phases:
            pause = think if phase.startswith("paced") else (0.0, 0.0)
            client = Client(stack.app_url, topology.settings(), pause, seed=7)
            print(f"   {phase}: {conversations} conversations for {duration_s:.0f} s", flush=True)
            hostile = hostile_every_s if phase.endswith(("_hostile", "_ab")) else None
            window = ab_window_s if phase.endswith("_ab") else None
            run = asyncio.run(client.run(conversations, duration_s, hostile, window, extra_text))
            result["phases"][phase] = {"think_s": list(pause), **summarise(run),
                                       "load_average_after": [round(x, 2) for x in os.getloadavg()]}
            total = result["phases"][phase]["total"]
            print(f"   -> {total['throughput_turns_s']} turns/s, p95 {total['p95_ms']} ms, "
                  f"errors {total['errors']}", flush=True)
    finally:
        stack.stop()
    return result


def table(results: dict[str, Any]) -> str:
    lines = ["| configuration | phase | flow | turns | errors | turns/s | p50 ms | p95 ms | p99 ms |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, res in results["configurations"].items():
        for phase, data in res["phases"].items():
            for flow, s in [("all", data["total"]), *data["flows"].items()]:
                lines.append(f"| {name} | {phase} | {flow} | {s['turns']} | {s['errors']} | "
                             f"{s['throughput_turns_s']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} |")
    return "\n".join(lines)


def evaluate(results: dict[str, Any]) -> dict[str, Any]:
    configs = results["configurations"]
    prod = configs.get("production", {}).get("phases", {})
    stock = configs.get("stock", {}).get("phases", {})
    paced = prod.get("paced", {}).get("total", {})
    sat = prod.get("saturated", {}).get("total", {})
    stock_sat = stock.get("saturated", {}).get("total", {})
    errors = sum(p["total"]["errors"] for c in configs.values() for p in c["phases"].values())
    ratio = (sat.get("throughput_turns_s", 0) / stock_sat["throughput_turns_s"]
             if stock_sat.get("throughput_turns_s") else None)
    hostile = {}
    for name, config in configs.items():
        calm, attacked = config["phases"].get("paced"), config["phases"].get("paced_hostile")
        if calm and attacked:
            pairs = [("all", calm["total"], attacked["total"]),
                     *((flow, before, attacked["flows"].get(flow)) for flow, before in calm["flows"].items())]
            change = {flow: round(after["p95_ms"] / before["p95_ms"] - 1, 3) for flow, before, after in pairs
                      if after and before.get("p95_ms") and after.get("p95_ms")}
            hostile[name] = {"p95_change_by_flow": change, "hostile_turns": attacked.get("hostile", {}),
                             "no_flow_p95_up_more_than_20pct": all(v <= 0.20 for v in change.values())}
    for name, config in configs.items():
        ab = config["phases"].get("paced_ab", {}).get("ab")
        if ab:
            change = {flow: round(ab["hostile"][flow]["p95_ms"] / calm["p95_ms"] - 1, 3)
                      for flow, calm in ab["calm"].items()
                      if calm.get("p95_ms") and ab["hostile"].get(flow, {}).get("p95_ms")}
            windows = config["phases"]["paced_ab"].get("ab_window_p95_ms", {})
            calm_median, hostile_median = (windows.get(k, {}).get("median") for k in ("calm", "hostile"))
            hostile[f"{name} (alternating windows)"] = {
                "p95_change_by_flow": change, "hostile_turns": config["phases"]["paced_ab"].get("hostile", {}),
                "no_flow_p95_up_more_than_20pct": all(v <= 0.20 for v in change.values()),
                "median_window_p95_ms": windows,
                "median_window_p95_change": round(hostile_median / calm_median - 1, 3)
                if calm_median and hostile_median else None}
    return {
        **({"hostile_message": hostile} if hostile else {}),
        "zero_errors": errors == 0,
        "production_paced_p95_ms": paced.get("p95_ms"),
        "production_paced_p95_le_800ms": paced.get("p95_ms") is not None and paced["p95_ms"] <= 800,
        "production_vs_stock_saturated_throughput": round(ratio, 2) if ratio else None,
        "throughput_ge_2x_stock": ratio is not None and ratio >= 2.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.loadtest", description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--think", type=float, nargs=2, default=(3.0, 8.0), metavar=("MIN", "MAX"),
                        help="seconds between the turns of one conversation in the paced phase")
    parser.add_argument("--configs", default="default,production,stock")
    parser.add_argument("--phases", default="paced,saturated", help="paced, saturated, paced_hostile, paced_ab")
    parser.add_argument("--hostile-every", type=float, default=5.0,
                        help="seconds between hostile messages in the paced_hostile and paced_ab phases")
    parser.add_argument("--ab-window", type=float, default=15.0,
                        help="paced_ab: seconds of each calm or hostile window")
    parser.add_argument("--control", action="store_true",
                        help="the extra client sends an ordinary answer ('120') instead of the hostile message")
    args = parser.parse_args(argv)

    settings = Settings()
    if not settings.rasa_model.exists():
        print("no trained model: run `make train`", file=sys.stderr)
        return 2
    work = settings.var_dir / "loadtest"
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "benchmark": "loadtest",
        "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cores": os.cpu_count(),
        "conversations": args.conversations,
        "duration_s_per_phase": args.duration,
        "think_s": list(args.think),
        "mix": [{"flow": s.flow, "locale": s.locale, "logged_in": s.user is not None, "turns": len(s.turns),
                 "weight": s.weight} for s in scenarios()],
        "configurations": {},
    }
    builders: dict[str, Callable[[], Topology]] = {
        "default": lambda: sqlite_topology(work, "default"),
        "production": lambda: production_topology(work),
        "stock": lambda: sqlite_topology(work, "stock", stock=True),
    }
    for name in [c.strip() for c in args.configs.split(",") if c.strip()]:
        topology = builders[name]()
        results["configurations"][name] = measure(topology, args.conversations, args.duration,
                                                  tuple(args.think), [p.strip() for p in args.phases.split(",")],
                                                  args.hostile_every, args.ab_window,
                                                  "120" if args.control else HOSTILE_MESSAGE)
    results["targets"] = evaluate(results)
    out_dir = settings.var_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out_dir / f"loadtest-{stamp}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (out_dir / "loadtest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    md = table(results)
    (out_dir / "loadtest.md").write_text(md + "\n\n" + json.dumps(results["targets"], indent=2) + "\n")
    print(md)
    print(json.dumps(results["targets"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
