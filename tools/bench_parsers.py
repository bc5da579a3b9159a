"""Worst case of every parser of user text at the message limit (2,000 characters): each must stay within 20 ms.

Hostile text is a workload (STYLE.md): one message of a digit, 1,900 spaces and an article number once made the
quantity parser backtrack for 11 s on the event loop. This benchmark feeds every parser the same families of
adversarial input (long whitespace and digit runs, repeated separators, nested quotes and brackets, mixed scripts,
each alone and followed by an article number) and reports the slowest input per parser, as thread CPU time so
that other work on the machine does not count. The property tests (tests/test_parsers_linear.py) use the same
inputs and parsers.

Usage: python tools/bench_parsers.py [--repeat N] [--budget-ms 20]   (also run by `make bench`)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

MESSAGE_LIMIT = 2000
BUDGET_MS = 20.0

# Pieces that make regular expressions backtrack when repeated: runs of one class, and pairs of classes that two
# neighbouring quantifiers could both take.
RUNS = [" ", "\t", "\n", "1", "0", "a", "x", "-", ",", ".", "'", '"', ":", ";", "/", "(", "ä", "@", "+", "×",
        "1.", "1,", "1'", "1 ", "a.", "a@", "-1", "1-", "x ", "Stk ", "Pos 1 ", "und ", "auf ", "3S-1208 ", "DN",
        "°C ", "bar ", "«»", "\u200b", "Ｗ１", "٣", "а"]
PAIRS = [("1", " "), ("1", ","), ("1", "."), ("a", "."), ("1", "-"), ("A1", "-"), ("1", " x "), ("1 ", "Stk "),
         ("3S-1208", " "), ("Pos 1", " und "), ("1", "'"), ("a@", "a."), ("1", "/"), ("(1", " "), ("ä", "1"),
         ('"', "'"), ("'", '"'), ("1", "\u00a0"), ("Ａ", "1")]
TAILS = ["", "a 3S-1208", "!", " 3S-1208 x", "@x", "°C"]


def adversarial_inputs(limit: int = MESSAGE_LIMIT) -> Iterator[tuple[str, str]]:
    """(label, text) pairs of at most ``limit`` characters, each built to defeat a backtracking pattern."""
    yield "digit, spaces, letter, article (the 11 s message)", "1" + " " * (limit - 11) + "a 3S-1208"
    for run in RUNS:
        for tail in TAILS:
            body = (run * limit)[: limit - len(tail)]
            yield f"{run!r} run + {tail!r}", body + tail
            yield f"article + {run!r} run + {tail!r}", ("3S-1208 " + body)[: limit - len(tail)] + tail
    for a, b in PAIRS:
        for k in (1, 7, 100):
            for tail in ("!", "3S-1208"):
                text = ((a * k + b * k) * limit)[: limit - len(tail)] + tail
                yield f"({a!r}x{k} {b!r}x{k}) + {tail!r}", text
    yield "nested brackets", "(" * (limit // 2) + ")" * (limit // 2)
    yield "nested quotes", "".join('"\'' [i % 2] for i in range(limit))
    yield "mixed scripts", ("Ｗ１٣३ aа 1 ° ÄÖÜß ⁄ " * limit)[:limit]


def parsers() -> dict[str, Callable[[str], Any]]:
    """Every parser that reads a person's text, by name (the order-reference parser is issue 14's)."""
    from assistant.commerce import bom, rfq, textparse
    from assistant.gateway import dialogue
    from assistant.language import detect_language
    from assistant.retrieval.constraints import parse_constraints

    draft = [textparse.DraftPosition(1, "3S-1208", "Steckverschraubung 12 mm", "Push-in fitting 12 mm",
                                     "pneumatic_fitting", 50),
             textparse.DraftPosition(2, "OR-0250-E", "O-Ring 25 x 2,5 EPDM", "O-ring 25 x 2.5 EPDM", "seal", 100)]
    today = date(2026, 12, 4)

    def quietly(fn: Callable[[str], Any], *errors: type[Exception]) -> Callable[[str], Any]:
        def run(text: str) -> Any:
            try:
                return fn(text)
            except errors:
                return None
        return run

    return {
        "textparse.parse_quick_order": textparse.parse_quick_order,
        "textparse.parse_draft_edit": lambda text: textparse.parse_draft_edit(text, draft),
        "textparse.parse_qty": textparse.parse_qty,
        "rfq.parse_email": quietly(rfq.parse_email, rfq.RfqInvalid),
        "rfq.find_phone": rfq.find_phone,
        "rfq.parse_country": quietly(rfq.parse_country, rfq.RfqInvalid),
        "rfq.parse_desired_date": quietly(lambda text: rfq.parse_desired_date(text, today), rfq.RfqInvalid),
        "bom.parse_bom (CSV)": quietly(lambda text: bom.parse_bom("list.csv", text.encode(), 2_000_000),
                                       bom.BomError),
        "dialogue.validate_payload": quietly(dialogue.validate_payload, dialogue.UnknownPayload),
        "language.detect_language": lambda text: detect_language(text, fallback="de"),  # on the event loop
        "constraints.parse_constraints": parse_constraints,
    }


def cpu_ms(fn: Callable[[str], Any], text: str, repeat: int = 1) -> float:
    """Best of ``repeat`` runs, in milliseconds of this thread's CPU time (load on the machine does not count)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        fn(text)
        best = min(best, (time.thread_time() - started) * 1000)
    return best


def worst_cases(repeat: int = 3) -> dict[str, dict[str, Any]]:
    inputs = list(adversarial_inputs())
    results: dict[str, dict[str, Any]] = {}
    for name, fn in parsers().items():
        fn("warm up 3S-1208 x 5")
        timings = sorted(((cpu_ms(fn, text, repeat), label) for label, text in inputs), reverse=True)
        worst_ms, worst_label = timings[0]
        results[name] = {"worst_ms": round(worst_ms, 2), "worst_input": worst_label,
                         "median_ms": round(timings[len(timings) // 2][0], 3), "inputs": len(inputs)}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=BUDGET_MS)
    args = parser.parse_args(argv)
    results = worst_cases(args.repeat)
    report = {
        "benchmark": "parser_worst_case",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "message_limit": MESSAGE_LIMIT,
        "budget_ms": args.budget_ms,
        "parsers": results,
    }
    from assistant.settings import get_settings

    out = Path(get_settings().var_dir) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "parsers.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"Parser worst case at {MESSAGE_LIMIT} characters (thread CPU time, best of {args.repeat}; "
          f"budget {args.budget_ms:g} ms)")
    print(f"{'parser':34} {'worst ms':>9} {'median ms':>10}  worst input")
    for name, row in results.items():
        flag = "" if row["worst_ms"] <= args.budget_ms else "  OVER BUDGET"
        print(f"{name:34} {row['worst_ms']:9.2f} {row['median_ms']:10.3f}  {row['worst_input']}{flag}")
    return 0 if all(r["worst_ms"] <= args.budget_ms for r in results.values()) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
