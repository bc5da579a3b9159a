"""A minimal STEP writer (ISO 10303-21, AP214 ``AUTOMOTIVE_DESIGN``, millimetres) for one solid.

The solid is a stack of prismatic sections along +z, each with an outline (a circle or a regular polygon such
as a hex) and a round through bore. That covers the envelopes suppliers publish for fittings, seals and
bearings, and it keeps the B-rep exact: cylinders and planes, every edge shared by exactly two faces with
opposite senses, cylinders closed by a seam edge the way OpenCascade writes them. Output is byte-for-byte
deterministic (fixed header timestamp, fixed number format), so a file's hash can serve as its ETag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SCHEMA = "AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }"
# The header date is fixed on purpose: the same catalogue row must give the same bytes.
TIMESTAMP = "2026-01-01T00:00:00"

Point = tuple[float, float, float]
_EMPTY = "''"


@dataclass(frozen=True)
class Outline:
    """A circle (``sides == 0``, size = diameter) or a regular polygon (size = across flats)."""

    size: float
    sides: int = 0

    @property
    def inner_radius(self) -> float:
        return self.size / 2

    @property
    def outer_radius(self) -> float:
        return self.size / 2 if not self.sides else self.size / 2 / math.cos(math.pi / self.sides)

    @property
    def area(self) -> float:
        if not self.sides:
            return math.pi * (self.size / 2) ** 2
        return self.sides * (self.size / 2) ** 2 * math.tan(math.pi / self.sides)

    def corners(self, z: float) -> list[Point]:
        """Counter-clockwise around +z; the first flat faces +x."""
        r, step = self.outer_radius, 2 * math.pi / self.sides
        return [(r * math.cos(step * (i - 0.5)), r * math.sin(step * (i - 0.5)), z) for i in range(self.sides)]


def circle(diameter: float) -> Outline:
    return Outline(diameter)


def polygon(across_flats: float, sides: int = 6) -> Outline:
    return Outline(across_flats, sides)


@dataclass(frozen=True)
class Section:
    length: float
    outline: Outline
    bore: float  # diameter of the round through hole


@dataclass(frozen=True)
class Stack:
    sections: tuple[Section, ...]

    def __post_init__(self) -> None:
        if not self.sections:
            raise ValueError("a stack needs at least one section")
        for s in self.sections:
            if s.length <= 0 or not 0 < s.bore / 2 < s.outline.inner_radius:
                raise ValueError(f"section {s} is not a solid ring")
        for a, b in zip(self.sections, self.sections[1:], strict=False):
            small, large = sorted((a.outline, b.outline), key=lambda o: o.outer_radius)
            if small != large and small.outer_radius >= large.inner_radius:
                raise ValueError(f"outline {small} does not fit inside {large}")
            if max(a.bore, b.bore) / 2 >= small.inner_radius:
                raise ValueError("a bore step reaches the outline")

    @property
    def length(self) -> float:
        return sum(s.length for s in self.sections)

    @property
    def volume(self) -> float:
        return sum(s.length * (s.outline.area - math.pi * (s.bore / 2) ** 2) for s in self.sections)

    @property
    def max_radius(self) -> float:
        return max(s.outline.outer_radius for s in self.sections)


def _real(value: float) -> str:
    text = f"{round(value, 6) + 0.0:.6f}".rstrip("0")
    return "0." if text in ("0.", "-0.") else text


def _string(text: str) -> str:
    """A STEP string: quotes doubled, backslashes escaped, anything outside printable ASCII as \\X2\\ UCS-2."""
    out = []
    for ch in text:
        if ch == "'":
            out.append("''")
        elif ch == "\\":
            out.append("\\\\")
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\X2\\{ord(ch):04X}\\X0\\")
    return "'" + "".join(out) + "'"


@dataclass
class _Writer:
    lines: list[str] = field(default_factory=list)
    _cache: dict[object, int] = field(default_factory=dict)

    def add(self, entity: str) -> int:
        self.lines.append(entity)
        return len(self.lines)

    def once(self, key: object, entity: str) -> int:
        if key not in self._cache:
            self._cache[key] = self.add(entity)
        return self._cache[key]

    def point(self, p: Point) -> int:
        return self.once(("pt", p), f"CARTESIAN_POINT('',({_real(p[0])},{_real(p[1])},{_real(p[2])}))")

    def direction(self, d: Point) -> int:
        return self.once(("dir", d), f"DIRECTION('',({_real(d[0])},{_real(d[1])},{_real(d[2])}))")

    def placement(self, origin: Point, axis: Point = (0.0, 0.0, 1.0), ref: Point = (1.0, 0.0, 0.0)) -> int:
        return self.once(
            ("ax", origin, axis, ref),
            f"AXIS2_PLACEMENT_3D('',#{self.point(origin)},#{self.direction(axis)},#{self.direction(ref)})",
        )

    def vertex(self, p: Point) -> int:
        return self.once(("v", p), f"VERTEX_POINT('',#{self.point(p)})")

    def line_edge(self, a: Point, b: Point) -> int:
        def build() -> str:
            d = tuple(bb - aa for aa, bb in zip(a, b, strict=True))
            n = math.sqrt(sum(c * c for c in d))
            unit = (d[0] / n, d[1] / n, d[2] / n)
            vec = self.add(f"VECTOR('',#{self.direction(unit)},{_real(n)})")
            line = self.add(f"LINE('',#{self.point(a)},#{vec})")
            return f"EDGE_CURVE('',#{self.vertex(a)},#{self.vertex(b)},#{line},.T.)"

        key = ("le", a, b)
        return self._cache[key] if key in self._cache else self.once(key, build())

    def circle_edge(self, radius: float, z: float) -> int:
        key = ("ce", radius, z)
        if key not in self._cache:
            curve = self.add(f"CIRCLE('',#{self.placement((0.0, 0.0, z))},{_real(radius)})")
            self.once(key, f"EDGE_CURVE('',#{self.vertex((radius, 0.0, z))},#{self.vertex((radius, 0.0, z))},"
                           f"#{curve},.T.)")
        return self._cache[key]

    def outline_edges(self, outline: Outline, z: float) -> list[int]:
        """The outline's edges at height z, counter-clockwise around +z."""
        if not outline.sides:
            return [self.circle_edge(outline.size / 2, z)]
        c = outline.corners(z)
        return [self.line_edge(c[i], c[(i + 1) % len(c)]) for i in range(len(c))]

    def bound(self, edges: list[tuple[int, bool]], outer: bool = True) -> int:
        """A face bound from (edge, same sense) pairs that already run head to tail."""
        refs = []
        for edge, same in edges:
            sense = ".T." if same else ".F."
            refs.append(f"#{self.add(f'ORIENTED_EDGE({_EMPTY},*,*,#{edge},{sense})')}")
        loop = self.add(f"EDGE_LOOP('',({','.join(refs)}))")
        return self.add(f"{'FACE_OUTER_BOUND' if outer else 'FACE_BOUND'}('',#{loop},.T.)")

    def loop(self, edges: list[int], forward: bool, outer: bool) -> int:
        """Edges given counter-clockwise around +z; ``forward`` False runs them clockwise."""
        return self.bound([(e, forward) for e in (edges if forward else reversed(edges))], outer)

    def face(self, bounds: list[int], surface: int, same_sense: bool = True) -> int:
        refs = ",".join(f"#{b}" for b in bounds)
        return self.add(f"ADVANCED_FACE('',({refs}),#{surface},{'.T.' if same_sense else '.F.'})")

    def planar_face(self, z: float, up: bool, outer: list[int], inner: list[int]) -> int:
        plane = self.add(f"PLANE('',#{self.placement((0.0, 0.0, z), (0.0, 0.0, 1.0 if up else -1.0))})")
        return self.face([self.loop(outer, up, True), self.loop(inner, not up, False)], plane)

    def cylinder_face(self, radius: float, z0: float, z1: float, outward: bool) -> int:
        surface = self.add(f"CYLINDRICAL_SURFACE('',#{self.placement((0.0, 0.0, z0))},{_real(radius)})")
        seam = self.line_edge((radius, 0.0, z0), (radius, 0.0, z1))
        bottom, top = self.circle_edge(radius, z0), self.circle_edge(radius, z1)
        # Counter-clockwise in (angle, height) is outward; the bore's face runs the same loop backwards.
        loop = [(bottom, True), (seam, True), (top, False), (seam, False)]
        if not outward:
            loop = [(e, not sense) for e, sense in reversed(loop)]
        return self.face([self.bound(loop)], surface, outward)

    def side_faces(self, outline: Outline, z0: float, z1: float) -> list[int]:
        if not outline.sides:
            return [self.cylinder_face(outline.size / 2, z0, z1, True)]
        low, high = outline.corners(z0), outline.corners(z1)
        n, faces = outline.sides, []
        for i in range(n):
            j = (i + 1) % n
            normal_angle = 2 * math.pi * i / n
            normal = (math.cos(normal_angle), math.sin(normal_angle), 0.0)
            mid = (outline.size / 2 * normal[0], outline.size / 2 * normal[1], z0)
            plane = self.add(f"PLANE('',#{self.placement(mid, normal, (0.0, 0.0, 1.0))})")
            edges = [
                (self.line_edge(low[i], low[j]), True),
                (self.line_edge(low[j], high[j]), True),
                (self.line_edge(high[i], high[j]), False),
                (self.line_edge(low[i], high[i]), False),
            ]
            faces.append(self.face([self.bound(edges)], plane))
        return faces


def _faces(w: _Writer, stack: Stack) -> list[int]:
    faces: list[int] = []
    z = 0.0
    first, last = stack.sections[0], stack.sections[-1]
    faces.append(w.planar_face(0.0, False, w.outline_edges(first.outline, 0.0), [w.circle_edge(first.bore / 2, 0.0)]))
    for i, s in enumerate(stack.sections):
        z1 = z + s.length
        faces += w.side_faces(s.outline, z, z1)
        faces.append(w.cylinder_face(s.bore / 2, z, z1, False))
        if i + 1 < len(stack.sections):
            nxt = stack.sections[i + 1]
            if s.outline != nxt.outline:
                below_larger = s.outline.outer_radius > nxt.outline.outer_radius
                large, small = (s.outline, nxt.outline) if below_larger else (nxt.outline, s.outline)
                faces.append(w.planar_face(z1, below_larger, w.outline_edges(large, z1), w.outline_edges(small, z1)))
            if s.bore != nxt.bore:
                # Material lies below the step when the bore widens going up.
                up = nxt.bore > s.bore
                large_r, small_r = max(s.bore, nxt.bore) / 2, min(s.bore, nxt.bore) / 2
                faces.append(w.planar_face(z1, up, [w.circle_edge(large_r, z1)], [w.circle_edge(small_r, z1)]))
        z = z1
    faces.append(w.planar_face(z, True, w.outline_edges(last.outline, z), [w.circle_edge(last.bore / 2, z)]))
    return faces


def write_step(stack: Stack, *, part_id: str, name: str, description: str, filename: str) -> bytes:
    """One part with one manifold solid, as an AP214 exchange file (mm, radians)."""
    w = _Writer()
    app = w.add("APPLICATION_CONTEXT('automotive design')")
    w.add(f"APPLICATION_PROTOCOL_DEFINITION('international standard','automotive_design',2000,#{app})")
    product_ctx = w.add(f"PRODUCT_CONTEXT('',#{app},'mechanical')")
    product = w.add(f"PRODUCT({_string(part_id)},{_string(name)},{_string(description)},(#{product_ctx}))")
    w.add(f"PRODUCT_RELATED_PRODUCT_CATEGORY('part',$,(#{product}))")
    formation = w.add(f"PRODUCT_DEFINITION_FORMATION('','',#{product})")
    def_ctx = w.add(f"PRODUCT_DEFINITION_CONTEXT('part definition',#{app},'design')")
    definition = w.add(f"PRODUCT_DEFINITION('design','',#{formation},#{def_ctx})")
    shape = w.add(f"PRODUCT_DEFINITION_SHAPE('','',#{definition})")
    mm = w.add("(LENGTH_UNIT()NAMED_UNIT(*)SI_UNIT(.MILLI.,.METRE.))")
    rad = w.add("(NAMED_UNIT(*)PLANE_ANGLE_UNIT()SI_UNIT($,.RADIAN.))")
    sr = w.add("(NAMED_UNIT(*)SI_UNIT($,.STERADIAN.)SOLID_ANGLE_UNIT())")
    tol = w.add(f"UNCERTAINTY_MEASURE_WITH_UNIT(LENGTH_MEASURE(1.E-06),#{mm},'distance_accuracy_value',"
                "'confusion accuracy')")
    ctx = w.add(f"(GEOMETRIC_REPRESENTATION_CONTEXT(3)GLOBAL_UNCERTAINTY_ASSIGNED_CONTEXT((#{tol}))"
                f"GLOBAL_UNIT_ASSIGNED_CONTEXT((#{mm},#{rad},#{sr}))REPRESENTATION_CONTEXT('',''))")
    origin = w.placement((0.0, 0.0, 0.0))
    faces = _faces(w, stack)
    shell = w.add(f"CLOSED_SHELL('',({','.join(f'#{f}' for f in faces)}))")
    solid = w.add(f"MANIFOLD_SOLID_BREP({_string(part_id)},#{shell})")
    rep = w.add(f"ADVANCED_BREP_SHAPE_REPRESENTATION({_string(part_id)},(#{origin},#{solid}),#{ctx})")
    w.add(f"SHAPE_DEFINITION_REPRESENTATION(#{shape},#{rep})")
    header = [
        "ISO-10303-21;",
        "HEADER;",
        f"FILE_DESCRIPTION(({_string(description)}),'2;1');",
        f"FILE_NAME({_string(filename)},'{TIMESTAMP}',(''),(''),'assistant cad','assistant cad','');",
        f"FILE_SCHEMA(('{SCHEMA}'));",
        "ENDSEC;",
        "DATA;",
    ]
    data = [f"#{i}={line};" for i, line in enumerate(w.lines, start=1)]
    return ("\n".join(header + data + ["ENDSEC;", "END-ISO-10303-21;"]) + "\n").encode("ascii")
