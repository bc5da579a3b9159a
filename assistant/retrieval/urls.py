"""The one place where knowledge links are built (the routes belong to the gateway)."""

from __future__ import annotations

from urllib.parse import quote


def kb_url(public_url: str, doc_id: str, kind: str, page: int | None = None) -> str:
    """Markdown -> /kb/doc/<id>, PDF -> /kb/file/<id>(#page=N), product:<SKU> -> /shop/p/<SKU>."""
    base = public_url.rstrip("/")
    if kind == "product" or doc_id.startswith("product:"):
        return f"{base}/shop/p/{quote(doc_id.removeprefix('product:'), safe='')}"
    if kind == "pdf":
        url = f"{base}/kb/file/{quote(doc_id, safe='')}"
        return f"{url}#page={page}" if page else url
    return f"{base}/kb/doc/{quote(doc_id, safe='')}"


def product_url(public_url: str, sku: str) -> str:
    return kb_url(public_url, f"product:{sku}", "product")


def cad_url(public_url: str, sku: str) -> str:
    return f"{public_url.rstrip('/')}/api/cad/{quote(sku, safe='')}.step"
