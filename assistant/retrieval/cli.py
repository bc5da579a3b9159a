"""`assistant kb ...` commands. The main CLI calls :func:`add_commands`.

Exit codes: 0 ok, 1 validation errors (build refused or inputs skipped), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from assistant.errors import AssistantError
from assistant.retrieval.models import BuildRefused, BuildReport

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _service() -> Any:
    from assistant.retrieval.service import get_knowledge_service

    return get_knowledge_service()


def _print_report(report: BuildReport, out: Any) -> int:
    if report.unchanged:
        print(f"unchanged: version {report.version} ({report.chunks} chunks)", file=out)
    elif report.built:
        print(
            f"built version {report.version}: {report.documents} documents, {report.products} products, "
            f"{report.chunks} chunks ({report.embedded} embedded, {report.reused} reused) "
            f"in {report.duration_s:.1f} s",
            file=out,
        )
    for issue in report.issues:
        print(str(issue), file=out)
    return EXIT_OK if report.ok else EXIT_INVALID


def _guard(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except BuildRefused as exc:
            if exc.report is not None:
                _print_report(exc.report, sys.stderr)
            print(f"build refused: {exc}", file=sys.stderr)
            return EXIT_INVALID
        except AssistantError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_INVALID

    return run


@_guard
def cmd_build(args: argparse.Namespace) -> int:
    return _print_report(_service().build(force=args.force, strict=args.strict), sys.stdout)


@_guard
def cmd_status(args: argparse.Namespace) -> int:
    print(json.dumps(_service().status(), ensure_ascii=False, indent=1))
    return EXIT_OK


@_guard
def cmd_add(args: argparse.Namespace) -> int:
    return _print_report(_service().add(args.path), sys.stdout)


@_guard
def cmd_remove(args: argparse.Namespace) -> int:
    return _print_report(_service().remove(args.id), sys.stdout)


@_guard
def cmd_search(args: argparse.Namespace) -> int:
    if args.k < 1 or args.k > 100:
        print("error: -k must be between 1 and 100", file=sys.stderr)
        return EXIT_USAGE
    hits = _service().search(args.query, k=args.k)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "chunk_id": h.chunk_id,
                        "doc_id": h.doc_id,
                        "title": h.title,
                        "score": round(h.score, 5),
                        "type": h.doc_type,
                        "language": h.language,
                        "url": h.url,
                        "page": h.page,
                        "text": h.text,
                    }
                    for h in hits
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for rank, h in enumerate(hits, 1):
            snippet = " ".join(h.text.split())[:100]
            print(f"{rank:2d}. {h.score:.4f}  {h.chunk_id}  [{h.doc_type}/{h.language}]  {snippet}")
    return EXIT_OK


def add_commands(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `kb build|status|add|remove|search` to the main CLI's subparsers."""
    kb = subparsers.add_parser("kb", help="knowledge base: build, inspect and change the search index")
    sub = kb.add_subparsers(dest="kb_command", metavar="{build,status,add,remove,search}")
    sub.required = True
    p = sub.add_parser("build", help="build a new index version if the content changed")
    p.add_argument("--force", action="store_true", help="build even if nothing changed")
    p.add_argument("--strict", action="store_true", help="refuse the build on any input error")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("status", help="live version, counts, embedder")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("add", help="copy a document into the knowledge folder and make it live")
    p.add_argument("path")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("remove", help="remove a document by its id and make the change live")
    p.add_argument("id")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("search", help="hybrid search, for checking what the assistant would find")
    p.add_argument("query")
    p.add_argument("--json", action="store_true")
    p.add_argument("-k", type=int, default=8)
    p.set_defaults(func=cmd_search)
    return kb


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (`python -m assistant.retrieval.cli kb ...`) until the main CLI wires it in."""
    parser = argparse.ArgumentParser(prog="assistant")
    add_commands(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
