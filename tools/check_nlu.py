"""Gate for `rasa test nlu`: print per-intent F1 on the held-out set and fail below the macro-F1 target."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--min-macro-f1", type=float, default=0.93)
    args = parser.parse_args()
    report = json.loads(args.report.read_text())
    skip = {"accuracy", "macro avg", "weighted avg", "micro avg"}
    print(f"{'intent':28} {'f1':>6} {'support':>8}")
    for intent, row in sorted(report.items()):
        if intent in skip or not isinstance(row, dict):
            continue
        print(f"{intent:28} {row['f1-score']:6.3f} {row['support']:8d}")
    macro = report["macro avg"]["f1-score"]
    print(f"{'macro avg':28} {macro:6.3f}   (target >= {args.min_macro_f1})")
    if macro < args.min_macro_f1:
        print("NLU macro F1 below target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
