"""`assistant catalog import PATH [--dry-run] [--json] [--lang de|en]`: a BMEcat file into the catalogue.

Exit codes: 0 applied (or a dry run that would apply), 1 refused (nothing changed), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_commands(subparsers: Any) -> None:
    from assistant.commerce.cli import _group

    catalog = _group(subparsers, "catalog", "supplier catalogues (BMEcat)")
    p = catalog.add_parser("import", help="import a BMEcat 1.2/2005 file (T_NEW_CATALOG, T_UPDATE_PRODUCTS, "
                                          "T_UPDATE_PRICES); all or nothing")
    p.add_argument("path", type=Path, help="the BMEcat XML file")
    p.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--lang", choices=("de", "en"), default="de", help="language of the report (default de)")
    p.set_defaults(func=cmd_import)


def cmd_import(args: argparse.Namespace) -> int:
    from assistant.catalog.importer import CatalogImporter

    if not args.path.is_file():
        print(f"assistant catalog import: {args.path}: " + ("Datei nicht gefunden" if args.lang == "de"
                                                           else "file not found"), file=sys.stderr)
        return 2
    with args.path.open("rb") as fh:
        report = CatalogImporter().run(fh, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        print(report.text(args.lang))
    return 0 if report.ok else 1
