"""Small CityJSON models written by the tests: box buildings with known coordinates."""

from __future__ import annotations

import json

import numpy as np

# Rings of a box (vertex order 0-3 bottom, 4-7 top), counter-clockwise seen from outside.
BOX_RINGS = {
    "GroundSurface": [[0, 3, 2, 1]],
    "RoofSurface": [[4, 5, 6, 7]],
    "WallSurface": [[0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]],
}


def box_vertices(lo, hi) -> np.ndarray:
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    return np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0],
                     [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]], dtype=float)


class CityBuilder:
    """Accumulates box buildings and writes a CityJSON 2.0 file with a transform."""

    def __init__(self, crs: str | None = "https://www.opengis.net/def/crs/EPSG/0/7415",
                 scale: float = 0.001, translate=(85000.0, 447000.0, 0.0)):
        self.crs = crs
        self.scale = scale
        self.translate = np.asarray(translate, dtype=float)
        self.vertices: list[np.ndarray] = []
        self.objects: dict = {}

    def _add_vertices(self, v: np.ndarray) -> int:
        base = sum(len(a) for a in self.vertices)
        self.vertices.append(v)
        return base

    def box(self, oid: str, lo, hi, *, lods=("2.2",), semantics: bool = True,
            otype: str = "Building", heights=None, windows=()):
        """A box building; ``lods`` each get a Solid (heights per LoD may differ);
        ``windows``: (wall index 0..3, (u0, z0, u1, z1)) quads on that wall (LoD 3
        MultiSurface with Window semantics, coplanar with the wall)."""
        geoms = []
        for k, lod in enumerate(lods):
            top = hi if heights is None else (hi[0], hi[1], heights[k])
            base = self._add_vertices(box_vertices(lo, top))
            names, shell, values = [], [], []
            for sname, rings in BOX_RINGS.items():
                names.append({"type": sname})
                for ring in rings:
                    shell.append([[base + i for i in ring]])
                    values.append(len(names) - 1)
            g = {"type": "Solid", "lod": lod, "boundaries": [shell]}
            if semantics:
                g["semantics"] = {"surfaces": names, "values": [values]}
            geoms.append(g)
        if windows:
            v = box_vertices(lo, hi)
            surfaces, values = [], []
            for entry in windows:
                wall, (u0, z0, u1, z1) = entry[:2]
                stype = entry[2] if len(entry) > 2 else "Window"
                ring = BOX_RINGS["WallSurface"][wall]
                a, b = v[ring[0]], v[ring[1]]
                d = (b - a) / np.linalg.norm(b - a)
                quad = np.array([a + u0 * d, a + u1 * d, a + u1 * d, a + u0 * d])
                quad[:, 2] = [z0, z0, z1, z1]
                base = self._add_vertices(quad)
                surfaces.append([[base, base + 1, base + 2, base + 3]])
                values.append(0 if stype == "Window" else 1)
            geoms.append({"type": "MultiSurface", "lod": "3", "boundaries": surfaces,
                          "semantics": {"surfaces": [{"type": "Window"}, {"type": "Door"}],
                                        "values": values}})
        self.objects[oid] = {"type": otype, "geometry": geoms}
        return self

    def ground(self, oid: str, lo, hi, z: float = 0.0, otype: str = "LandUse"):
        """A flat rectangle (two triangles, normal up) as a MultiSurface at LoD 1."""
        (x0, y0), (x1, y1) = lo, hi
        base = self._add_vertices(np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]]))
        self.objects[oid] = {"type": otype, "geometry": [{
            "type": "MultiSurface", "lod": "1",
            "boundaries": [[[base, base + 1, base + 2]], [[base, base + 2, base + 3]]]}]}
        return self

    def to_dict(self) -> dict:
        v = np.vstack(self.vertices) if self.vertices else np.zeros((0, 3))
        stored = np.round((v - self.translate) / self.scale).astype(np.int64)
        data = {"type": "CityJSON", "version": "2.0",
                "transform": {"scale": [self.scale] * 3, "translate": self.translate.tolist()},
                "CityObjects": self.objects, "vertices": stored.tolist()}
        if self.crs is not None:
            data["metadata"] = {"referenceSystem": self.crs}
        return data

    def write(self, path) -> str:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh)
        return str(path)
