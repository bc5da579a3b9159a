"""CAD envelopes: valid ISO 10303-21 from the real catalogue, read back by OpenCascade with the catalogue's sizes."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import pytest
from OCP.Bnd import Bnd_Box
from OCP.BRepAdaptor import BRepAdaptor_Surface
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.GeomAbs import GeomAbs_Cylinder
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPControl import STEPControl_Reader
from OCP.TopAbs import TopAbs_FACE, TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Shape

from assistant.retrieval.cad import cad_model, envelope
from assistant.retrieval.loaders import load_products
from assistant.retrieval.models import Product
from assistant.settings import PROJECT_ROOT

KNOWLEDGE = PROJECT_ROOT / "knowledge"
# Every entity the writer may use, as named in the AP214 (automotive_design) schema.
AP214_ENTITIES = {
    "APPLICATION_CONTEXT", "APPLICATION_PROTOCOL_DEFINITION", "PRODUCT_CONTEXT", "PRODUCT",
    "PRODUCT_RELATED_PRODUCT_CATEGORY", "PRODUCT_DEFINITION_FORMATION", "PRODUCT_DEFINITION_CONTEXT",
    "PRODUCT_DEFINITION", "PRODUCT_DEFINITION_SHAPE", "SHAPE_DEFINITION_REPRESENTATION",
    "ADVANCED_BREP_SHAPE_REPRESENTATION", "MANIFOLD_SOLID_BREP", "CLOSED_SHELL", "ADVANCED_FACE",
    "FACE_OUTER_BOUND", "FACE_BOUND", "EDGE_LOOP", "ORIENTED_EDGE", "EDGE_CURVE", "VERTEX_POINT",
    "CARTESIAN_POINT", "DIRECTION", "VECTOR", "LINE", "CIRCLE", "PLANE", "CYLINDRICAL_SURFACE",
    "AXIS2_PLACEMENT_3D", "UNCERTAINTY_MEASURE_WITH_UNIT", "LENGTH_UNIT", "NAMED_UNIT", "SI_UNIT",
    "PLANE_ANGLE_UNIT", "SOLID_ANGLE_UNIT", "GEOMETRIC_REPRESENTATION_CONTEXT",
    "GLOBAL_UNCERTAINTY_ASSIGNED_CONTEXT", "GLOBAL_UNIT_ASSIGNED_CONTEXT", "REPRESENTATION_CONTEXT",
}
_INSTANCE = re.compile(r"^#(\d+)=(.*);$")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Product]:
    products, issues, _ = load_products(KNOWLEDGE / "products.csv", KNOWLEDGE)
    assert not issues
    return {p.sku: p for p in products}


def modelled() -> list[str]:
    return [sku for sku, p in catalogue().items() if envelope(p) is not None]


def step_text(sku: str) -> str:
    model = cad_model(catalogue()[sku])
    assert model is not None
    return model.data.decode("ascii")


def instances(text: str) -> dict[int, str]:
    data = text.split("DATA;\n", 1)[1].split("ENDSEC;", 1)[0]
    found = {}
    for line in data.strip().splitlines():
        match = _INSTANCE.match(line)
        assert match, line
        found[int(match.group(1))] = match.group(2)
    return found


def test_the_articles_with_a_derivable_shape_have_a_model_and_the_others_none() -> None:
    skus = set(modelled())
    assert {"3S-1208", "3SX-1208", "3S-0405", "2S-0804", "OR-0250-EP", "RW-3052-FK", "KL-6204-2RS"} <= skus
    # Elbows, tees, valves, hoses, hygienic assemblies, couplings and belts are not derivable from the row.
    assert not skus & {"3SL-1208", "3ST-0800", "3SV-0804", "SV-520-04", "HS-5010-08", "HF-2000-25",
                       "QC-300-08", "ZR5M-0600-15", "DK-024-92", "SD-100-04"}


@pytest.mark.parametrize("sku", ["3S-1208", "OR-0250-EP", "KL-6204-2RS"])
def test_the_file_is_structurally_valid_iso_10303_21_ap214_in_mm(sku: str) -> None:
    text = step_text(sku)
    assert text.startswith("ISO-10303-21;\nHEADER;\n") and text.rstrip().endswith("END-ISO-10303-21;")
    assert "FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));" in text
    found = instances(text)
    for body in found.values():
        names = re.findall(r"([A-Z][A-Z0-9_]+)\(", re.sub(r"'[^']*'", "''", body))
        assert names and set(names) <= AP214_ENTITIES | {"LENGTH_MEASURE"}, body
        for ref in re.findall(r"#(\d+)", re.sub(r"'[^']*'", "''", body)):
            assert int(ref) in found, f"#{ref} in {body} does not resolve"
    assert "(LENGTH_UNIT()NAMED_UNIT(*)SI_UNIT(.MILLI.,.METRE.))" in found.values()


@pytest.mark.parametrize("sku", ["3S-1208", "OR-0250-EP", "KL-6204-2RS"])
def test_the_shell_is_closed_every_edge_used_twice_in_opposite_senses(sku: str) -> None:
    found = instances(step_text(sku))
    uses: dict[int, list[str]] = {}
    for body in found.values():
        match = re.fullmatch(r"ORIENTED_EDGE\('',\*,\*,#(\d+),\.(T|F)\.\)", body)
        if match:
            uses.setdefault(int(match.group(1)), []).append(match.group(2))
    edges = [i for i, body in found.items() if body.startswith("EDGE_CURVE(")]
    assert edges and set(edges) == set(uses)
    for edge in edges:
        assert sorted(uses[edge]) == ["F", "T"], f"edge #{edge}: {uses[edge]}"
    assert sum(body.startswith("CLOSED_SHELL(") for body in found.values()) == 1


def test_same_row_same_bytes() -> None:
    product = catalogue()["3S-1208"]
    first = cad_model(product)
    cad_model.cache_clear()
    again = cad_model(product)
    assert first is not None and again is not None and first.data == again.data and first.etag == again.etag


def test_3s_1208_has_the_g12_major_diameter_and_a_12_mm_tube_socket() -> None:
    shape = envelope(catalogue()["3S-1208"])
    assert shape is not None
    stack, _ = shape
    thread, hex_, socket = stack.sections
    assert thread.outline.size == 20.955 and thread.outline.sides == 0
    assert socket.bore == 12.0 and socket.outline.size > 12.0
    assert hex_.outline.sides == 6 and hex_.outline.inner_radius > thread.outline.size / 2
    text = step_text("3S-1208")
    assert "CYLINDRICAL_SURFACE('',#" in text and ",10.4775)" in text and ",6.)" in text


# -------------------------------------------------------------- read back with OpenCascade


def _read(path: Path) -> TopoDS_Shape:
    reader = STEPControl_Reader()
    assert reader.ReadFile(str(path)) == IFSelect_RetDone
    assert reader.TransferRoots() == 1
    return reader.OneShape()


def _cylinder_radii(shape: TopoDS_Shape) -> set[float]:
    radii = set()
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        surface = BRepAdaptor_Surface(TopoDS.Face(explorer.Current()))
        if surface.GetType() == GeomAbs_Cylinder:
            radii.add(round(surface.Cylinder().Radius(), 4))
        explorer.Next()
    return radii


@pytest.mark.parametrize("sku", modelled())
def test_opencascade_reads_a_valid_solid_with_the_catalogue_size(sku: str, tmp_path: Path) -> None:
    path = tmp_path / f"{sku}.step"
    path.write_text(step_text(sku))
    shape = _read(path)
    assert shape.ShapeType() == TopAbs_SOLID
    assert BRepCheck_Analyzer(shape).IsValid()
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    stack, _ = envelope(catalogue()[sku])  # type: ignore[misc]
    assert props.Mass() > 0 and math.isclose(props.Mass(), stack.volume, rel_tol=1e-4)
    box = Bnd_Box()
    BRepBndLib.Add_s(shape, box, False)
    low, high = box.CornerMin(), box.CornerMax()
    assert math.isclose(high.Z() - low.Z(), stack.length, abs_tol=1e-3)
    assert high.Y() - low.Y() <= 2 * stack.max_radius + 1e-3
    radii = _cylinder_radii(shape)
    for section in stack.sections:
        assert round(section.bore / 2, 4) in radii
        if not section.outline.sides:
            assert round(section.outline.size / 2, 4) in radii


def test_opencascade_sees_3s_1208_thread_and_tube_socket(tmp_path: Path) -> None:
    path = tmp_path / "3S-1208.step"
    path.write_text(step_text("3S-1208"))
    radii = _cylinder_radii(_read(path))
    assert 20.955 / 2 in radii  # G1/2 major diameter, ISO 228-1
    assert 6.0 in radii  # socket for 12 mm tube


def test_opencascade_sees_an_o_ring_and_a_bearing_as_their_catalogue_rings(tmp_path: Path) -> None:
    for sku, inner, outer in (("OR-0250-EP", 12.5, 15.0), ("KL-6204-2RS", 10.0, 23.5), ("RW-3052-FK", 15.0, 26.0)):
        path = tmp_path / f"{sku}.step"
        path.write_text(step_text(sku))
        assert _cylinder_radii(_read(path)) == {inner, outer}
