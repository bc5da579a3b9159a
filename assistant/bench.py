"""`make bench`: measure the running stack over HTTP, as a user would feel it, and write JSON under var/bench/.

Starts its own stack on free loopback ports (so startup time is measured and a developer's `make run` is not
disturbed), then measures:
- turn latency p50/p95/p99 of a simple turn (greeting of a logged-in buyer: NLU, a custom action over the webhook,
  tracker read and write) with 1 conversation and with 10 concurrent conversations, and the throughput;
- startup time to ready and resident memory of each process;
then runs the capability benchmarks (retrieval, commerce queries, RFQ conversation) when they are present.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.settings import PROJECT_ROOT, Settings, get_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(latencies_s: list[float], wall_s: float) -> dict[str, float]:
    ms = [x * 1000 for x in latencies_s]
    return {
        "turns": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else float("nan"),
        "throughput_turns_s": round(len(ms) / wall_s, 1) if wall_s else float("nan"),
    }


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn and Sanic workers), in MiB."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
        pids += [int(p) for p in out.stdout.split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def _tree(pid: int) -> list[int]:
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
        return [pid, *(int(p) for p in out.stdout.split())]
    except OSError:
        return [pid]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its children: robust against a busy machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gib = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gib, 1), "python": platform.python_version(),
            "platform": platform.platform()}


async def _conversation(client: httpx.AsyncClient, base: str, token: str, turns: int, out: list[float],
                        errors: list[str]) -> None:
    conversation_id = None
    headers = {"Authorization": f"Bearer {token}"}
    for turn in range(turns):
        if turn % 10 == 0:
            conversation_id = None  # conversations of ten turns, as in real use (trackers grow with every turn)
        body: dict[str, Any] = {"message": "Hallo", "locale": "de"}
        if conversation_id:
            body["conversation_id"] = conversation_id
        started = time.perf_counter()
        r = await client.post(f"{base}/api/chat", json=body, headers=headers)
        elapsed = time.perf_counter() - started
        if r.status_code != 200:
            errors.append(f"{r.status_code}")
            continue
        conversation_id = r.json()["conversation_id"]
        out.append(elapsed)


async def measure_turns(base: str, token: str, conversations: int, turns: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=conversations * 2, max_keepalive_connections=conversations * 2)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # warm-up: first turns load lazily created things
        await _conversation(client, base, token, 5, [], [])
        started = time.perf_counter()
        await asyncio.gather(*(_conversation(client, base, token, turns, latencies, errors)
                               for _ in range(conversations)))
        wall = time.perf_counter() - started
    return {"conversations": conversations, **summary(latencies, wall), "errors": len(errors)}


def _run_module(module: str, results: dict[str, Any]) -> None:
    """Run a capability benchmark in its own process; it writes its own JSON and prints its own table."""
    try:
        __import__(module)
    except ImportError:
        results[module] = "not present"
        return
    print(f"\n== {module}", flush=True)
    proc = subprocess.run([sys.executable, "-m", module], cwd=PROJECT_ROOT, check=False)
    results[module] = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"


SCALED_ENV = {
    # The scale-out shape on one machine: trackers on PostgreSQL, locks on Redis, 2 Sanic workers, 2 app workers.
    "ASSISTANT_RASA_ENDPOINTS": str(PROJECT_ROOT / "endpoints.production.yml"),
    "ASSISTANT_RASA_WORKERS": "2",
    "ASSISTANT_WORKERS": "2",
    "ASSISTANT_RASA_DB_HOST": "127.0.0.1",
    "ASSISTANT_RASA_DB_PORT": "5432",
    "ASSISTANT_RASA_DB_NAME": "test",
    "ASSISTANT_RASA_DB_USER": "postgres",
    "ASSISTANT_RASA_DB_PASSWORD": "",
    "ASSISTANT_REDIS_HOST": "127.0.0.1",
    "ASSISTANT_REDIS_PORT": "6379",
}


def measure_configuration(name: str, env: dict[str, str], turns: int, concurrent_turns: int) -> dict[str, Any]:
    from assistant.commerce.demo_people import find_user
    from assistant.identity import mint_token
    from assistant.runner import Stack

    os.environ.update({
        **env,
        "ASSISTANT_PORT": str(free_port()),
        "ASSISTANT_RASA_URL": f"http://127.0.0.1:{free_port()}",
        # The benchmark is one buyer sending hundreds of turns a minute: lift the per-identity limit for it.
        "ASSISTANT_RATE_LIMIT_PER_MINUTE": "1000000",
    })
    get_settings.cache_clear()
    settings = Settings()
    stack = Stack(settings=settings, log_dir=settings.var_dir / "log" / "bench")
    print(f"== {name}: starting the stack", flush=True)
    started = time.perf_counter()
    stack.start()
    startup = time.perf_counter() - started
    user = find_user("anna.mueller@mueller-maschinenbau.de")
    assert user is not None
    token = mint_token(sub=user.id, customer=user.customer, roles=user.roles, locale=user.locale, name=user.name,
                       ttl_s=3600)  # the longest a token may live (ASSISTANT_JWT_MAX_LIFETIME_S)
    try:
        pids = {name: proc.pid for name, proc in stack.processes.items()}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        one = asyncio.run(measure_turns(stack.app_url, token, 1, turns))
        ten = asyncio.run(measure_turns(stack.app_url, token, 10, concurrent_turns))
        rfq = asyncio.run(measure_rfq(stack.app_url, conversations=5))
        total_turns = one["turns"] + ten["turns"] + 10  # + warm-up turns
        cpu_ms = {n: round(1000 * (cpu_seconds(pid) - before[n]) / total_turns, 1) for n, pid in pids.items()}
        memory = {n: rss_mb(proc.pid) for n, proc in stack.processes.items()}
    finally:
        stack.stop()
        for key in env:
            os.environ.pop(key, None)
    met = (one["p50_ms"] <= 100 and one["p95_ms"] <= 200 and ten["throughput_turns_s"] >= 25
           and ten["p95_ms"] <= 800 and one["errors"] == 0 and ten["errors"] == 0)
    return {"configuration": name, "startup_to_ready_s": round(startup, 1), "one_conversation": one,
            "ten_conversations": ten, "rfq_conversation": rfq, "rss_mb": memory, "cpu_ms_per_turn": cpu_ms,
            "targets_met": met}


async def measure_rfq(base: str, conversations: int) -> dict[str, Any]:
    """Full anonymous RFQ conversations (finder result to sent request), one after the other, per-turn latency."""
    from assistant.bench_rfq import rfq_conversation

    latencies: list[float] = []
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(conversations):
            latencies += await rfq_conversation(base, client)
    return {"conversations": conversations, **summary(latencies, time.perf_counter() - started)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=150, help="turns per conversation, 1-conversation run")
    parser.add_argument("--concurrent-turns", type=int, default=40, help="turns per conversation, 10 conversations")
    parser.add_argument("--only-chat", action="store_true", help="skip the capability benchmarks")
    parser.add_argument("--only-default", action="store_true", help="skip the scaled configuration")
    args = parser.parse_args(argv)

    configurations = [("default: 1 Rasa process, SQLite trackers, in-memory locks", {})]
    if not args.only_default:
        configurations.append(("scaled: 2 Sanic + 2 uvicorn workers, PostgreSQL trackers, Redis locks", SCALED_ENV))
    runs = [measure_configuration(name, env, args.turns, args.concurrent_turns) for name, env in configurations]
    result = {
        "benchmark": "chat_turn",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "load_average_at_end": os.getloadavg()[0],
        "runs": runs,
        "targets": {"one_p50_ms": 100, "one_p95_ms": 200, "ten_throughput_turns_s": 25, "ten_p95_ms": 800},
    }
    out_dir = get_settings().var_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "chat.json").write_text(json.dumps(result, indent=2))

    print(f"\nChat turn benchmark ({result['machine']['cpu']}, {result['machine']['cores']} cores, "
          f"load average {result['load_average_at_end']:.1f})")
    for run in runs:
        print(f"\n{run['configuration']}")
        print(f"{'run':22} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'turns/s':>8} {'errors':>7}")
        for label, row in (("1 conversation", run["one_conversation"]), ("10 conversations", run["ten_conversations"])):
            print(f"{label:22} {row['turns']:6d} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['p99_ms']:8.1f} "
                  f"{row['throughput_turns_s']:8.1f} {row['errors']:7d}")
        print(f"startup to ready: {run['startup_to_ready_s']} s; resident memory: "
              + ", ".join(f"{k} {v} MiB" for k, v in run["rss_mb"].items()))
        rfq = run["rfq_conversation"]
        print(f"RFQ conversation ({rfq['conversations']} x 8 turns): p50 {rfq['p50_ms']} ms, p95 {rfq['p95_ms']} ms")
        print("CPU per turn: " + ", ".join(f"{k} {v} ms" for k, v in run["cpu_ms_per_turn"].items()))
        print(f"targets met: {run['targets_met']}")
    print(f"(JSON: {out_dir / 'chat.json'})")

    if not args.only_chat:
        sub: dict[str, Any] = {}
        for module in ("assistant.retrieval.bench", "assistant.commerce.bench", "assistant.bench_flows"):
            _run_module(module, sub)
        print("\ncapability benchmarks:", json.dumps(sub))
    return 0 if any(run["targets_met"] for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
