"""CAD models per article: a simplified envelope (STEP) derived from the article's catalogue row.

The main dimensions come from the row and the standards it names: the tube outer diameter of a push-in
fitting, the ISO 228-1 major diameter of its thread, an O-ring's inner diameter and cross-section, a seal's or
bearing's bore, outside diameter and width. Secondary dimensions (wrench size, socket wall, body lengths) follow
fixed proportions, as in any supplier's simplified model. Where the catalogue does not give the shape (elbows,
tees, hoses without a wall thickness, valves with coils or levers, clamp assemblies, couplings, belts), an
article gets no model rather than an invented one.

Files are made on demand and cached per process: the same row always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.retrieval.models import Product
from assistant.retrieval.step import Section, Stack, circle, polygon, write_step

MEDIA_TYPE = "model/step"

# ISO 228-1 major diameters (mm) and ISO 261 M5; thread lengths and wrench sizes as usual for fittings.
_THREADS: dict[str, tuple[float, float, float]] = {
    # name: (major diameter, thread length, hex across flats)
    "M5": (5.0, 4.0, 8.0),
    "G1/8": (9.728, 6.5, 14.0),
    "G1/4": (13.157, 8.0, 17.0),
    "G3/8": (16.662, 9.0, 22.0),
    "G1/2": (20.955, 10.0, 24.0),
}
_PUSH_IN_STRAIGHT = ("3S", "3SX", "3SF", "3SC", "2S")  # sku prefixes; 3SL elbows, 3ST tees, 3SV valves are not
_PUSH_IN = re.compile(r"^(M5|G\d/\d)\s*x\s*(\d+(?:\.\d+)?)\s*mm tube$")
_O_RING = re.compile(r"^ID (\d+(?:\.\d+)?) x (\d+(?:\.\d+)?) mm$")
_THREE = re.compile(r"(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class CadModel:
    sku: str
    filename: str
    data: bytes
    description: str

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.data).hexdigest()[:32] + '"'


def _push_in(product: Product) -> tuple[Stack, str] | None:
    prefix = product.sku.split("-", 1)[0]
    match = _PUSH_IN.match(product.connection.strip())
    if prefix not in _PUSH_IN_STRAIGHT or not match or match.group(1) not in _THREADS:
        return None
    thread, tube = match.group(1), float(match.group(2))
    major, thread_length, wrench = _THREADS[thread]
    socket = tube + 2 * max(2.0, 0.25 * tube)  # release collet and housing around the tube
    wrench = max(wrench, socket + 2.0)
    flow = min(0.6 * tube, 0.55 * major)
    stack = Stack((
        Section(thread_length, circle(major), flow),
        Section(max(4.0, 0.35 * wrench), polygon(wrench), flow),
        Section(1.5 * tube + 6.0, circle(socket), tube),
    ))
    return stack, (f"Push-in fitting envelope: {thread} thread (major diameter {major} mm), hex {wrench:g} mm, "
                   f"socket for {tube:g} mm tube; thread at z=0, tube socket along +z")


def _ring(inner: float, outer: float, width: float, what: str) -> tuple[Stack, str]:
    return Stack((Section(width, circle(outer), inner),)), f"{what} envelope: {inner:g} x {outer:g} x {width:g} mm"


def _seal_or_bearing(product: Product) -> tuple[Stack, str] | None:
    if product.family == "seal" and product.sku.startswith("OR-"):
        match = _O_RING.match(product.connection.strip())
        if match:
            inner, section = float(match.group(1)), float(match.group(2))
            stack, _ = _ring(inner, inner + 2 * section, section, "O-ring")
            return stack, f"O-ring envelope (square around the round cord): ID {inner:g} mm, cord {section:g} mm"
    if (product.family == "seal" and product.sku.startswith("RW-")) or (
        product.family == "drive" and product.sku.startswith(("KL-", "KLS-"))
    ):
        match = _THREE.search(product.size if product.sku.startswith("RW-") else product.name_en)
        if match:
            inner, outer, width = (float(g) for g in match.groups())
            return _ring(inner, outer, width, "Shaft seal" if product.sku.startswith("RW-") else "Bearing")
    return None


def envelope(product: Product) -> tuple[Stack, str] | None:
    """The article's envelope and a one-line description of it, or None when the row does not define one."""
    return _push_in(product) or _seal_or_bearing(product)


@lru_cache(maxsize=512)
def cad_model(product: Product) -> CadModel | None:
    shape = envelope(product)
    if shape is None:
        return None
    stack, description = shape
    filename = f"{product.sku}.step"
    data = write_step(stack, part_id=product.sku, name=product.name_en, description=description, filename=filename)
    return CadModel(product.sku, filename, data, description)
