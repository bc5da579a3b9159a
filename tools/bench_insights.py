"""Benchmark of the content team's cockpit: the insights page (and the review) over one million analytics events.

    .venv/bin/python tools/bench_insights.py [--events 1000000] [--backends sqlite,postgresql] [--keep]

Seeds synthetic but plausible events (``synthetic_events``: shop, product-page and portal conversations with
questions, answers, thumbs, finder, RFQ, reorders, status and document requests, handoffs and effort scores)
through the real writer (``assistant.analytics.write_events``, the code path of the background recorder), into a
SQLite file under var/bench/ and a private PostgreSQL schema. Then it requests the pages through the app (ASGI,
logged in, no network) and reports p50/p95 per view. The budget: the insights page ≤ 300 ms p95.

``--keep`` keeps the seeded databases (var/bench/insights-<N>.db, schema bench_insights_<N>) and reuses them on
the next run, since seeding a million events takes minutes. The browser tests use ``synthetic_events`` too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from assistant.analytics.events import AnalyticsTurn, CesEvent, Event, FeedbackEvent, TurnEvent  # noqa: E402
from assistant.analytics.recorder import write_events  # noqa: E402
from assistant.commerce.db import Database, make_engine  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
QUESTIONS = {
    "de": [
        ("Hält die Steckverschraubung 3S-1208 120 °C aus?", "3S-1208", "ds-3s-push-in", "no",
         "Nein. Die Serie 3S ist für -20 bis 80 °C ausgelegt (Datenblatt 3S, Abschnitt Technische Daten)."),
        ("Welche Schnellkupplung eignet sich für 350 bar Hydraulik?", None, "ds-qc-350-flat-face", "yes",
         "Die Flachdichtende QC-350 ist bis 350 bar zugelassen."),
        ("Ist der O-Ring aus EPDM für Dampf geeignet?", "OR-E-020", "ds-or-epdm", "only_if",
         "Ja, bis 150 °C Sattdampf, nicht mit Mineralöl."),
        ("Gibt es für den Schlauch HS-301 eine FDA-Konformität?", "HS-301-19", "ds-hs-301-food", "yes",
         "Ja, der HS-301 ist FDA- und EU 1935/2004-konform."),
        ("Wie hoch ist die Biegewechselfestigkeit des PU-Schlauchs?", "HS-501-08", "ds-hs-501-pu-tube",
         "not_specified", "Dazu macht das Datenblatt keine Angabe."),
        ("Ist das Kugelventil BV-320 ATEX-zertifiziert?", "BV-320-25", "ds-bv-320-hygienic", "not_specified",
         "Das Datenblatt nennt keine ATEX-Zulassung."),
        ("Welche Dichtung für Clamp DN 50 in der Molkerei?", None, "ds-cg-clamp-gaskets", "yes",
         "Für Milchprodukte empfehlen wir die EPDM-Clampdichtung CG-50-E."),
    ],
    "en": [
        ("Can the 3SX-0804 stainless push-in fitting handle 120 °C?", "3SX-0804", "ds-3sx-stainless-push-in", "yes",
         "Yes, the 3SX series is rated from -20 to 120 °C."),
        ("Which coupling do you recommend for 350 bar?", None, "ds-qc-350-flat-face", "yes",
         "The flat-face QC-350 is rated to 350 bar."),
        ("Is the FKM O-ring resistant to biodiesel?", "OR-F-020", "ds-or-fkm", "only_if",
         "Yes, at up to 60 °C; above that the datasheet advises PTFE."),
        ("What is the burst pressure of the HS-402 hose?", "HS-402-12", "ds-hs-402-4sp", "not_specified",
         "The datasheet does not specify a burst pressure."),
        ("Does the DV-540 valve have an ATEX rating?", "DV-540-10", "ds-dv-540-atex", "yes",
         "Yes, II 2G Ex h IIC T4 Gb."),
    ],
}
UNANSWERED = {"de": "Dazu habe ich in unseren Unterlagen nichts gefunden. Soll ich Sie mit dem Vertrieb verbinden?",
              "en": "I found nothing on this in our documents. Shall I put you in touch with sales?"}
FLOW_TEXT = {"de": "Erledigt.", "en": "Done."}


def _private(flow: str, event: str) -> dict[str, str]:
    return {"kind": "flow", "flow": flow, "event": event}


def synthetic_events(n_events: int, today: date, days: int = 90, seed: int = 17) -> Iterator[Event]:
    """Plausible events of ``days`` days up to ``today``, conversation by conversation, until ``n_events``."""
    rng = random.Random(seed)
    emitted, number = 0, 0
    while emitted < n_events:
        number += 1
        events = list(_conversation(rng, f"s{seed}-{number:010d}", today, days))
        yield from events[: n_events - emitted]
        emitted += min(len(events), n_events - emitted)


def _conversation(rng: random.Random, conv: str, today: date, days: int) -> Iterator[Event]:
    day = today - timedelta(days=rng.randrange(days))
    start = datetime.combine(day, dtime(7), BERLIN) + timedelta(seconds=rng.randrange(12 * 3600))
    t = start.astimezone(UTC)
    touchpoint = rng.choices(("shop", "product", "portal"), (40, 40, 20))[0]
    logged_in = touchpoint == "portal"
    lang = "de" if rng.random() < 0.7 else "en"
    shown = 0

    def turn(question: str | None, texts: tuple[dict[str, Any], ...], private: tuple[dict[str, Any], ...],
             sku: str | None = None) -> TurnEvent:
        nonlocal t, shown
        t += timedelta(seconds=rng.randint(15, 90))
        shown += len(texts)
        return TurnEvent(conv, t, lang, touchpoint, logged_in, question, texts, private, sku)

    if not logged_in:
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            q, sku, doc, verdict, answer = rng.choice(QUESTIONS[lang])
            answered = rng.random() < 0.82
            knowledge = {"kind": "knowledge", "answered": answered, "verdict": verdict if answered else None,
                         "sources": [doc] if answered else [], "reason": None if answered else "no_passage"}
            texts: tuple[dict[str, Any], ...] = (
                ({"type": "text", "text": answer},
                 {"type": "sources", "items": [{"title": doc, "url": f"/kb/doc/{doc}"}]})
                if answered else ({"type": "text", "text": UNANSWERED[lang]},))
            first = shown
            yield turn(q, texts, (knowledge,), sku if touchpoint == "product" else None)
            if rng.random() < 0.16:
                down = rng.random() < (0.25 if answered else 0.7)
                yield FeedbackEvent(conv, t + timedelta(seconds=5), first, "down" if down else "up")
        if rng.random() < 0.18:
            yield turn("/start_finder", ({"type": "text", "text": FLOW_TEXT[lang]},), (_private("finder", "started"),))
            yield turn(None, ({"type": "products", "items": []},), (_private("finder", "finished"),))
        if rng.random() < 0.10:
            yield turn("/start_rfq", ({"type": "text", "text": FLOW_TEXT[lang]},), (_private("rfq", "started"),))
            if rng.random() < 0.62:
                yield turn(None, ({"type": "text", "text": FLOW_TEXT[lang]},), (_private("rfq", "finished"),))
                yield from _ces(rng, conv, t, "rfq", lang)
    else:
        yield turn("/greet", ({"type": "text", "text": FLOW_TEXT[lang]},), ())
        task = rng.choices(("reorder", "status", "document", "question"), (45, 30, 20, 5))[0]
        if task == "reorder":
            yield turn("/reorder", ({"type": "text", "text": FLOW_TEXT[lang]},), (_private("reorder", "started"),))
            if rng.random() < 0.85:
                t += timedelta(seconds=min(rng.lognormvariate(5.0, 0.6), 3600))
                yield turn("/affirm", ({"type": "text", "text": FLOW_TEXT[lang]},), (_private("reorder", "finished"),))
                yield from _ces(rng, conv, t, "reorder", lang)
        elif task in ("status", "document"):
            yield turn(None, ({"type": "text", "text": FLOW_TEXT[lang]},), (_private(task, "finished"),))
            if task == "document":
                yield from _ces(rng, conv, t, "document", lang)
    if rng.random() < 0.05:
        yield turn("/request_human", ({"type": "text", "text": FLOW_TEXT[lang]},), (_private("handoff", "started"),))


def _ces(rng: random.Random, conv: str, t: datetime, flow: str, lang: str) -> Iterator[Event]:
    roll = rng.random()
    if roll < 0.5:
        yield CesEvent(conv, t + timedelta(seconds=20), flow, rng.choices((1, 2, 3, 4, 5), (3, 5, 12, 35, 45))[0], lang)
    elif roll < 0.7:
        yield CesEvent(conv, t + timedelta(seconds=20), flow, None, lang)


def seed(database: Database, n_events: int, today: date, batch: int = 1000) -> float:
    started = time.perf_counter()
    pending: list[Event] = []
    for i, event in enumerate(synthetic_events(n_events, today, days=365), start=1):
        pending.append(event)
        if len(pending) >= batch:
            write_events(database, pending, "Europe/Berlin")
            pending = []
        if i % 100_000 == 0:
            print(f"  {i:>9,} events written ({time.perf_counter() - started:.0f} s)", flush=True)
    write_events(database, pending, "Europe/Berlin")
    return time.perf_counter() - started


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(database: Database, today: date, repeat: int) -> dict[str, dict[str, float]]:
    """p50/p95 of each view through the app (ASGI in process: routing, session check, queries, templates)."""
    from fastapi.testclient import TestClient

    from assistant.gateway.app import create_app
    from assistant.gateway.cockpit import analytics_database

    yesterday = today - timedelta(days=1)
    views = {
        "insights_last_week": "/admin/insights?period=last_week",
        "insights_last_30_days_product_de": "/admin/insights?period=last_30&touchpoint=product&language=de",
        "insights_last_90_days": "/admin/insights?period=last_90",
        "insights_full_year": f"/admin/insights?from={today - timedelta(days=365)}&to={today}",
        "insights_csv_funnel_last_week": "/admin/insights.csv?chart=funnel&period=last_week",
        "review_yesterday_thumbs_down_product": f"/admin/review?from={yesterday}&to={yesterday}&touchpoint=product"
                                                "&thumbs_down=1",
        "review_newest": "/admin/review",
        "review_search_30_days": "/admin/review?period=last_30&q=ATEX",
    }
    app = create_app()
    app.dependency_overrides[analytics_database] = lambda: database
    results: dict[str, dict[str, float]] = {}
    with TestClient(app, follow_redirects=False) as client:
        _login(client)
        for name, path in views.items():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                response = client.get(path)
                samples.append((time.perf_counter() - t0) * 1000)
            results[name] = {"p50_ms": round(statistics.median(samples), 1),
                             "p95_ms": round(_percentile(samples, 95), 1), "max_ms": round(max(samples), 1)}
            print(f"  {name:<40} p50 {results[name]['p50_ms']:>7.1f} ms   p95 {results[name]['p95_ms']:>7.1f} ms",
                  flush=True)
    return results


def _login(client: Any) -> None:
    import re

    from assistant.settings import get_settings

    settings = get_settings()
    page = client.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "login form without CSRF token"
    response = client.post("/admin/login", data={"username": settings.admin_user, "csrf": token.group(1),
                                                  "password": settings.admin_password.get_secret_value()})
    assert response.status_code == 303, "admin login failed"


def _count(database: Database) -> int:
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(AnalyticsTurn)) or 0)


def _database(backend: str, n_events: int, pg_url: str, keep: bool, out_dir: Path) -> tuple[Database, Any]:
    if backend == "sqlite":
        path = out_dir / f"insights-{n_events}.db"
        if not keep:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return Database(f"sqlite:///{path}", make_engine(f"sqlite:///{path}")), None
    schema = f"bench_insights_{n_events}"
    admin = create_engine(pg_url)
    with admin.begin() as conn:
        if not keep:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return Database(f"{pg_url}?options=-csearch_path%3D{schema}"), (admin, schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/bench_insights.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the seeded databases")
    args = parser.parse_args(argv)
    os.environ.setdefault("ASSISTANT_TODAY", "2026-12-04")  # the seeded days and the measured periods agree
    os.environ.setdefault("ASSISTANT_OUTBOX_DISPATCHER", "false")  # nothing to send; keeps the timing quiet
    from assistant import clock
    from assistant.settings import get_settings

    out_dir = get_settings().var_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    today = clock.today()
    report: dict[str, Any] = {"events": args.events, "repeat": args.repeat, "today": today.isoformat(),
                              "seed_s": {}, "turn_rows": {}, "load_average": {}, "results": {}}
    for backend in args.backends.split(","):
        try:
            database, pg = _database(backend, args.events, args.pg_url, args.keep, out_dir)
        except Exception as exc:
            print(f"skipping {backend}: {type(exc).__name__}", file=sys.stderr)
            continue
        try:
            database.upgrade()
            if _count(database) == 0:
                print(f"{backend}: seeding {args.events:,} events", flush=True)
                report["seed_s"][backend] = round(seed(database, args.events, today), 1)
            report["turn_rows"][backend] = _count(database)
            if database.dialect == "postgresql":
                with database.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
            report["load_average"][backend] = [round(x, 2) for x in os.getloadavg()]
            print(f"{backend}: {report['turn_rows'][backend]:,} turn rows; timing at load average "
                  f"{report['load_average'][backend]}", flush=True)
            report["results"][backend] = measure(database, today, args.repeat)
        finally:
            database.dispose()
            if pg is not None:
                admin, schema = pg
                if not args.keep:
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
    target = out_dir / f"insights-{args.events}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    target.write_text(json.dumps(report, indent=2))
    print(f"written {target}")
    worst = max((r["p95_ms"] for b in report["results"].values() for k, r in b.items() if k.startswith("insights")),
                default=0.0)
    print(f"insights page p95, worst view and backend: {worst:.1f} ms (budget 300 ms)")
    return 0 if worst <= 300 else 1


if __name__ == "__main__":
    sys.exit(main())
