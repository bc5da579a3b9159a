"""Buyer flows at scale: reorder and order status through the real stack with 200k orders in the database.

For SQLite and for PostgreSQL: seed (cached per day), start Rasa and the app against that database, then measure
over HTTP, with 1 and with 10 concurrent buyers,
- the status turn ("Wo ist Auftrag 4711?"),
- the reorder request turn ("Bestellung vom letzten Montag nochmal bitte"),
- the reorder confirmation turn (the confirm button of that draft).
Target: the confirmation turn p95 <= 300 ms with one buyer. JSON under var/bench/flows.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from assistant.bench import cpu_seconds, free_port, machine, summary
from assistant.settings import PROJECT_ROOT, Settings, get_settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BUYER = "anna.mueller@mueller-maschinenbau.de"


def _database_url(backend: str, orders: int) -> str:
    tag = f"{orders}_{date.today():%Y%m%d}"
    if backend == "sqlite":
        path = get_settings().var_dir / "bench" / f"flows-{tag}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    schema = f"bench_flows_{tag}"
    engine = create_engine(PG_ADMIN)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return f"{PG_ADMIN}?options=-csearch_path%3D{schema}"


def _seed(url: str, orders: int) -> None:
    env = {**os.environ, "ASSISTANT_DATABASE_URL": url}
    run = [sys.executable, "-m", "assistant.cli"]
    subprocess.run([*run, "db", "upgrade"], cwd=PROJECT_ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*run, "demo", "seed", "--orders", str(orders), "--if-empty"], cwd=PROJECT_ROOT, env=env,
                   check=True)


def _button(messages: list[dict[str, Any]], intent: str) -> str | None:
    for m in messages:
        for b in m.get("buttons", []):
            if b["payload"].startswith(f"/{intent}"):
                return str(b["payload"])
    return None


async def _buyer(client: httpx.AsyncClient, base: str, token: str, rounds: int,
                 samples: dict[str, list[float]], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    async def turn(body: dict[str, Any], label: str) -> list[dict[str, Any]] | None:
        started = time.perf_counter()
        r = await client.post(f"{base}/api/chat", json=body, headers=headers)
        elapsed = time.perf_counter() - started
        if r.status_code != 200:
            errors.append(f"{label}: {r.status_code}")
            return None
        samples[label].append(elapsed)
        return r.json()["messages"]  # type: ignore[no-any-return]

    for _ in range(rounds):
        await turn({"message": "Wo ist Auftrag 4711?", "locale": "de"}, "status")
        r = await client.post(f"{base}/api/chat", json={"message": "Hallo", "locale": "de"}, headers=headers)
        conversation = r.json()["conversation_id"]
        started = time.perf_counter()
        quote = await turn({"message": "Bestellung vom letzten Montag nochmal bitte", "locale": "de",
                            "conversation_id": conversation}, "reorder_request")
        choice = _button(quote or [], "choose_order")
        if choice is not None:  # several orders on that day: the buyer picks one
            quote = await turn({"payload": choice, "locale": "de", "conversation_id": conversation}, "choose_order")
        payload = _button(quote or [], "confirm_order")
        if payload is None:
            errors.append("reorder_request: no confirm button")
            continue
        await turn({"payload": payload, "locale": "de", "conversation_id": conversation}, "reorder_confirm")
        samples["reorder_flow"].append(time.perf_counter() - started)


async def _measure(base: str, token: str, buyers: int, rounds: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {k: [] for k in ("status", "reorder_request", "choose_order",
                                                      "reorder_confirm", "reorder_flow")}
    errors: list[str] = []
    async with httpx.AsyncClient(timeout=60) as client:
        await _buyer(client, base, token, 1, {k: [] for k in samples}, [])  # warm-up
        started = time.perf_counter()
        await asyncio.gather(*(_buyer(client, base, token, rounds, samples, errors) for _ in range(buyers)))
        wall = time.perf_counter() - started
    return {"buyers": buyers, "errors": errors[:10], "error_count": len(errors),
            **{k: summary(v, wall) for k, v in samples.items()}}


def run_backend(backend: str, orders: int, rounds: int) -> dict[str, Any]:
    from assistant.commerce.demo_people import find_user
    from assistant.identity import mint_token
    from assistant.runner import Stack

    url = _database_url(backend, orders)
    print(f"== {backend}: seeding {orders} orders (cached per day)", flush=True)
    started = time.perf_counter()
    _seed(url, orders)
    seed_s = time.perf_counter() - started
    os.environ.update({
        "ASSISTANT_DATABASE_URL": url, "ASSISTANT_PORT": str(free_port()),
        "ASSISTANT_RASA_URL": f"http://127.0.0.1:{free_port()}", "ASSISTANT_RATE_LIMIT_PER_MINUTE": "1000000",
        "ASSISTANT_OUTBOX_DISPATCHER": "false",
    })
    get_settings.cache_clear()
    settings = Settings()
    stack = Stack(settings=settings, log_dir=settings.var_dir / "log" / "bench")
    stack.start()
    user = find_user(BUYER)
    assert user is not None
    token = mint_token(sub=user.id, customer=user.customer, roles=user.roles, locale=user.locale, name=user.name,
                       ttl_s=3600)  # the longest a token may live (ASSISTANT_JWT_MAX_LIFETIME_S)
    try:
        pids = {name: proc.pid for name, proc in stack.processes.items()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        one = asyncio.run(_measure(stack.app_url, token, 1, rounds))
        ten = asyncio.run(_measure(stack.app_url, token, 10, max(2, rounds // 4)))
        cpu = {name: round(cpu_seconds(pid) - cpu_before[name], 1) for name, pid in pids.items()}
    finally:
        stack.stop()
    return {"backend": backend, "orders": orders, "seed_s": round(seed_s, 1), "one_buyer": one,
            "ten_buyers": ten, "cpu_s": cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=20, help="status + reorder rounds per buyer")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, args.orders, args.rounds) for b in backends]
    report = {"benchmark": "buyer_flows", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": machine(), "results": results, "target": {"reorder_confirm_one_buyer_p95_ms": 300}}
    report["target_met"] = all(r["one_buyer"]["reorder_confirm"]["p95_ms"] <= 300 and r["one_buyer"]["error_count"] == 0
                               for r in results)
    out = get_settings().var_dir / "bench" / "flows.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nBuyer flows with {args.orders} orders ({report['machine']['cpu']}, {report['machine']['cores']} cores)")
    print(f"{'backend':11} {'buyers':>6} {'turn':16} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    for r in results:
        for key in ("one_buyer", "ten_buyers"):
            row = r[key]
            for label in ("status", "reorder_request", "choose_order", "reorder_confirm"):
                s = row[label]
                print(f"{r['backend']:11} {row['buyers']:6d} {label:16} {s['turns']:4d} {s['p50_ms']:8.1f} "
                      f"{s['p95_ms']:8.1f} {row['error_count']:6d}")
    print(f"target (confirmation p95 <= 300 ms, one buyer) met: {report['target_met']}  (JSON: {out})")
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
