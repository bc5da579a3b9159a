"""Metrics and structured logs shared by the gateway and the actions.

Metrics use ``prometheus_client``. Under several uvicorn workers each worker is its own process, so when
``PROMETHEUS_MULTIPROC_DIR`` is set (the runner sets it for more than one worker) values are written to files
in that folder and ``GET /metrics`` aggregates every worker; otherwise the process registry is used.

Logs are one JSON object per line with the request id of the turn (``X-Request-Id`` from the client or made by
the gateway; chat.py puts it into the signed Rasa metadata, so the action webhook logs the same id). E-mail
addresses and phone numbers are redacted from every log line before it is written: logs are kept longer and
read by more people than the conversations themselves.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as PROMETHEUS_CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["PROMETHEUS_CONTENT_TYPE"]

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# Buckets around the 800 ms turn target; retrieval is faster.
TURN_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
FAST_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
SCORE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

TURN_SECONDS = Histogram(
    "assistant_turn_seconds", "Chat turn latency at the gateway, per flow and language", ["flow", "language"],
    buckets=TURN_BUCKETS,
)
TURNS = Counter("assistant_turns_total", "Chat turns by flow and outcome", ["flow", "outcome"])
INTENTS = Counter("assistant_intents_total", "Intents that reached a custom action", ["intent"])
FALLBACKS = Counter("assistant_fallbacks_total", "Turns the assistant could not answer, by reason", ["reason"])
ACTION_SECONDS = Histogram(
    "assistant_action_seconds", "Custom action run time", ["action"], buckets=(*FAST_BUCKETS, 5.0)
)
RETRIEVAL_SECONDS = Histogram(
    "assistant_retrieval_seconds", "Knowledge retrieval latency", ["operation"], buckets=FAST_BUCKETS
)
RETRIEVAL_SCORE = Histogram(
    "assistant_retrieval_top_score", "Best dense score of a knowledge answer", buckets=SCORE_BUCKETS
)
ERRORS = Counter("assistant_errors_total", "Errors by place and kind", ["where", "kind"])
HTTP_SECONDS = Histogram(
    "assistant_http_seconds", "HTTP request latency by route and status class", ["route", "status"],
    buckets=TURN_BUCKETS,
)
OUTBOX_BACKLOG = Gauge(
    "assistant_outbox_backlog", "Outbox messages not yet delivered (pending or sending)", multiprocess_mode="max"
)


# ------------------------------------------------------------------ flows
@lru_cache(maxsize=1)
def _key_flows() -> dict[str, str]:
    """i18n key -> capability (the YAML file it lives in: core, finder, knowledge, orders, rfq, handoff ...)."""
    import yaml

    here = Path(__file__).parent / "i18n"
    flows: dict[str, str] = {}
    for path in sorted(here.glob("*.yml")):
        for key in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}):
            flows[str(key)] = path.stem
    return flows


@lru_cache(maxsize=1)
def _text_prefixes() -> list[tuple[str, str]]:
    """Literal beginnings of every text (before the first placeholder), longest first, with their capability."""
    from assistant import i18n

    flows = _key_flows()
    prefixes: list[tuple[str, str]] = []
    for key, entry in i18n.catalog().items():
        for lang in i18n.LANGUAGES:
            literal = str(entry.get(lang, "")).split("{", 1)[0].strip()
            if len(literal) >= 8:
                prefixes.append((literal, flows.get(key, "other")))
    prefixes.sort(key=lambda p: -len(p[0]))
    return prefixes


_TYPE_FLOWS = {"sources": "knowledge", "products": "finder", "documents": "documents"}


def flow_of(raw: Iterable[Mapping[str, Any]]) -> str:
    """A bounded flow label for a turn, derived from Rasa's reply.

    Domain responses carry their text key (``custom.t``), whose capability file names the flow. Messages built by
    actions are recognised by their type (sources, products, documents) or by the literal beginning of their text.
    """
    keys = _key_flows()
    for item in raw:
        custom = item.get("custom") if isinstance(item, Mapping) else None
        if isinstance(custom, Mapping):
            if isinstance(custom.get("t"), str) and custom["t"] in keys:
                return keys[custom["t"]]
            kind = custom.get("type")
            if kind in _TYPE_FLOWS:
                return _TYPE_FLOWS[str(kind)]
            text = custom.get("text")
        else:
            text = item.get("text") if isinstance(item, Mapping) else None
        if isinstance(text, str) and text:
            stripped = text.lstrip()
            for literal, flow in _text_prefixes():
                if stripped.startswith(literal):
                    return flow
    return "other"


def observe_turn(flow: str, language: str, seconds: float, outcome: str = "ok") -> None:
    TURN_SECONDS.labels(flow, language if language in ("de", "en") else "other").observe(seconds)
    TURNS.labels(flow, outcome).inc()
    if outcome != "ok":
        ERRORS.labels("gateway", outcome).inc()


def observe_action(action: str, intent: str | None, seconds: float, failed: bool = False) -> None:
    ACTION_SECONDS.labels(action).observe(seconds)
    if intent:
        INTENTS.labels(intent[:60]).inc()
        if intent == "nlu_fallback":
            FALLBACKS.labels("nlu_fallback").inc()
    if failed:
        ERRORS.labels("action", action).inc()


def observe_error(where: str, kind: str) -> None:
    ERRORS.labels(where, kind).inc()


# ------------------------------------------------------------------ retrieval
def instrument_knowledge(service: Any) -> Any:
    """Time ``answer`` and ``search`` of a knowledge service instance; record the best score and unanswered turns.

    Wraps the instance's bound methods (not the class), so tests with their own service are unaffected. Calling
    it twice is harmless.
    """
    if getattr(service, "_observed", False):
        return service

    def timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                result = method(*args, **kwargs)
            except Exception:
                ERRORS.labels("retrieval", name).inc()
                raise
            RETRIEVAL_SECONDS.labels(name).observe(time.perf_counter() - started)
            if name == "answer":
                score = getattr(result, "top_score", None)
                if isinstance(score, int | float):
                    RETRIEVAL_SCORE.observe(max(0.0, float(score)))
                if getattr(result, "answered", True) is False:
                    FALLBACKS.labels(str(getattr(result, "reason", None) or "unanswered")[:30]).inc()
            return result

        return wrapper

    for name in ("answer", "search"):
        method = getattr(service, name, None)
        if callable(method):
            setattr(service, name, timed(name, method))
    service._observed = True
    return service


# ------------------------------------------------------------------ exposition
def _outbox_backlog() -> None:
    try:
        from assistant.commerce.db import get_database
        from assistant.commerce.outbox import pending_count

        OUTBOX_BACKLOG.set(pending_count(get_database()))
    except Exception as exc:  # metrics must report, never fail the scrape
        ERRORS.labels("metrics", type(exc).__name__).inc()


def exposition() -> bytes:
    """The Prometheus text exposition of this process, or of every worker in multi-process mode."""
    _outbox_backlog()
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and Path(directory).is_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)


# ------------------------------------------------------------------ logs
def redact_text(text: str) -> str:
    from assistant.analytics import redact

    return redact(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id; personal data redacted."""

    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            # The exception type and where, never its text: exception messages may carry user input.
            exc_type = record.exc_info[0].__name__ if record.exc_info[0] else "Exception"
            message = f"{message} [{exc_type}]"
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                message += f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": redact_text(message),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for extra in ("flow", "intent", "action", "duration_ms", "status", "route"):
            value = getattr(record, extra, None)
            if value is not None:
                entry[extra] = value
        return json.dumps(entry, ensure_ascii=False)


_configured = False


def configure_logging(service: str = "app", level: int = logging.INFO) -> None:
    """Add the JSON formatter on stderr to the root logger and route uvicorn's loggers through it; idempotent.

    Other handlers (pytest's capture, an operator's own) are left in place.
    """
    global _configured
    if _configured:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.addHandler(handler)
    # Our own loggers at INFO; libraries (httpx logs every request at INFO) stay at WARNING.
    logging.getLogger("assistant").setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    _configured = True


def new_request_id(candidate: str | None) -> str:
    """The client's X-Request-Id when it is a plain token, else a fresh one (never reflect arbitrary text)."""
    if candidate and _REQUEST_ID.match(candidate):
        return candidate
    return uuid.uuid4().hex


class RequestContext:
    """ASGI middleware: request id in context and response header; HTTP latency and 5xx per route."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"x-request-id")
        request_id = new_request_id(raw.decode("latin-1") if raw else None)
        # Downstream (chat.py) reads the header; make it the validated one.
        scope["headers"] = [(k, v) for k, v in scope.get("headers") or [] if k != b"x-request-id"]
        scope["headers"].append((b"x-request-id", request_id.encode()))
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or _route_family(scope.get("path", ""))
            HTTP_SECONDS.labels(path, f"{status // 100}xx").observe(time.perf_counter() - started)
            if status >= 500:
                ERRORS.labels("http", str(status)).inc()
            request_id_var.reset(token)


def _route_family(path: str) -> str:
    """Unmatched paths collapse to their first segment, so scanners cannot blow up the label set."""
    first = path.strip("/").split("/", 1)[0]
    return f"/{first}" if first in {"widget", "static", "kb", "admin", "api", "docs"} else "other"


# ------------------------------------------------------------------ actions
_action_log = logging.getLogger("assistant.actions.trace")


@contextlib.contextmanager
def action_span(action: str, tracker: Any) -> Iterator[None]:
    """Around one custom action: carry the turn's request id into the logs, time it, count its intent.

    The request id comes from the (signed) metadata of the latest user message; it is only a correlation id, so
    it is used before the signature check, but only when it looks like one.
    """
    latest = getattr(tracker, "latest_message", None) or {}
    metadata = latest.get("metadata") or {}
    raw_id = metadata.get("request_id") if isinstance(metadata, Mapping) else None
    request_id = raw_id if isinstance(raw_id, str) and _REQUEST_ID.match(raw_id) else None
    intent = (latest.get("intent") or {}).get("name") if isinstance(latest.get("intent"), Mapping) else None
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        seconds = time.perf_counter() - started
        observe_action(action, intent if isinstance(intent, str) else None, seconds, failed)
        _action_log.info(
            "action %s", action,
            extra={"action": action, "intent": intent, "duration_ms": round(seconds * 1000, 1),
                   "request_id": request_id},
        )
        request_id_var.reset(token)
