"""Benchmark of the BMEcat import: a generated catalogue of N products (default 50,000), imported into a copy of
the knowledge folder with the index build (hash embedder: the model's speed is the retrieval benchmark's
subject, not this one's), then a T_UPDATE_PRICES for every product, whose index update must embed nothing.

    .venv/bin/python tools/bench_bmecat.py [--products 50000]

Prints one JSON object: seconds and peak memory (ru_maxrss) per step, counts, chunks embedded by the update.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.catalog.importer import CatalogImporter
from assistant.retrieval.embedders import HashEmbedder
from assistant.retrieval.service import KnowledgeService
from assistant.settings import PROJECT_ROOT, Settings

FAMILIES = ("valve", "seal", "pneumatic_fitting", "hose")


def product(n: int, price: str) -> str:
    family = FAMILIES[n % len(FAMILIES)]
    return (f'<PRODUCT mode="new"><SUPPLIER_PID>{10_000_000 + n}</SUPPLIER_PID><PRODUCT_DETAILS>'
            f'<DESCRIPTION_SHORT lang="deu">Artikel {n} {family}</DESCRIPTION_SHORT>'
            f'<DESCRIPTION_SHORT lang="eng">Article {n} {family}</DESCRIPTION_SHORT>'
            f'<INTERNATIONAL_PID type="gtin">40{n:011d}</INTERNATIONAL_PID><DELIVERY_TIME>{n % 20}</DELIVERY_TIME>'
            f'</PRODUCT_DETAILS><PRODUCT_FEATURES><REFERENCE_FEATURE_SYSTEM_NAME>X</REFERENCE_FEATURE_SYSTEM_NAME>'
            f'<REFERENCE_FEATURE_GROUP_ID>{family}</REFERENCE_FEATURE_GROUP_ID>'
            f'<FEATURE><FNAME>Werkstoff</FNAME><FVALUE>Edelstahl {n % 7}</FVALUE></FEATURE>'
            f'<FEATURE><FNAME>Anschluss</FNAME><FVALUE>G1/{2 + n % 3}</FVALUE></FEATURE>'
            f'<FEATURE><FNAME>Temperatur min.</FNAME><FVALUE>{-(n % 40)}</FVALUE><FUNIT>CEL</FUNIT></FEATURE>'
            f'<FEATURE><FNAME>Temperatur max.</FNAME><FVALUE>{100 + n % 200}</FVALUE><FUNIT>FAH</FUNIT></FEATURE>'
            f'<FEATURE><FNAME>Betriebsdruck max.</FNAME><FVALUE>{50 + n % 300}</FVALUE><FUNIT>PS</FUNIT></FEATURE>'
            f'<FEATURE><FNAME>Gewicht</FNAME><FVALUE>{n % 900}</FVALUE><FUNIT>GRM</FUNIT></FEATURE>'
            f'</PRODUCT_FEATURES><PRODUCT_ORDER_DETAILS><ORDER_UNIT>C62</ORDER_UNIT></PRODUCT_ORDER_DETAILS>'
            f'<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{price}</PRICE_AMOUNT>'
            f'<PRICE_CURRENCY>EUR</PRICE_CURRENCY></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS></PRODUCT>\n')


def prices(n: int, price: str) -> str:
    return (f'<PRODUCT mode="update"><SUPPLIER_PID>{10_000_000 + n}</SUPPLIER_PID><PRODUCT_PRICE_DETAILS>'
            f'<PRODUCT_PRICE price_type="net_list"><PRICE_AMOUNT>{price}</PRICE_AMOUNT>'
            f'<PRICE_CURRENCY>EUR</PRICE_CURRENCY></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS></PRODUCT>\n')


def write(path: Path, transaction: str, count: int, make, price: str) -> None:  # type: ignore[no-untyped-def]
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<BMECAT version="2005" '
                 'xmlns="http://www.bmecat.org/bmecat/2005"><HEADER><CATALOG><LANGUAGE>deu</LANGUAGE>'
                 '<CATALOG_ID>BENCH</CATALOG_ID><CATALOG_VERSION>1</CATALOG_VERSION><CURRENCY>EUR</CURRENCY>'
                 f'</CATALOG></HEADER><{transaction}>\n')
        for n in range(count):
            fh.write(make(n, price))
        fh.write(f"</{transaction}></BMECAT>\n")


class NoDatabase:
    def upsert_products(self, rows: list) -> tuple[int, int]:  # type: ignore[type-arg]
        return len(rows), 0

    def retire_products(self, skus: object) -> int:
        return 0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50_000)
    args = parser.parse_args()
    out: dict[str, object] = {"products": args.products}
    with tempfile.TemporaryDirectory(prefix="bench-bmecat-") as tmp:
        root = Path(tmp) / "knowledge"
        shutil.copytree(PROJECT_ROOT / "knowledge", root)
        settings = Settings(knowledge_dir=root, index_dir=Path(tmp) / "index", var_dir=Path(tmp) / "var",
                            embedding_backend="hash")
        knowledge = KnowledgeService(settings=settings, embedder=HashEmbedder())
        knowledge.build()
        new, update = Path(tmp) / "new.xml", Path(tmp) / "update.xml"
        write(new, "T_NEW_CATALOG", args.products, product, "10.00")
        write(update, "T_UPDATE_PRICES", args.products, prices, "11.50")
        out["file_mb"] = round(new.stat().st_size / 1e6, 1)
        importer = CatalogImporter(root, knowledge=knowledge, repository=NoDatabase(), today=date(2026, 11, 25))
        builds: list[object] = []
        real_build = knowledge.build

        def build(*a, **k):  # type: ignore[no-untyped-def]
            report = real_build(*a, **k)
            builds.append(report)
            return report

        knowledge.build = build  # type: ignore[method-assign]
        for name, path in (("new_catalog", new), ("update_prices", update)):
            start = time.perf_counter()
            with path.open("rb") as fh:
                report = importer.run(fh)
            assert report.ok, report.text("en")
            last = builds[-1]
            out[name] = {"seconds": round(time.perf_counter() - start, 1), "peak_rss_mb": round(peak_mb()),
                         "imported": len(report.imported), "updated": len(report.updated),
                         "chunks_embedded": getattr(last, "embedded", None),
                         "units_embedded": getattr(last, "units_embedded", None)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
