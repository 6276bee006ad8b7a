"""Fuzz the vector-layer reader: mutated GeoJSON and GeoPackage files raise only library
errors (VectorLayerError), within the harness's time and memory limits."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from cpted_sim.errors import CptedError

pyogrio = pytest.importorskip("pyogrio")
shapely = pytest.importorskip("shapely")
pytest.importorskip("pyproj")

from cpted_sim.io.vector import line_parts, point_coords, polygon_parts, read_vector  # noqa: E402

from _harness import assert_only_library_errors  # noqa: E402


def _use(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lay = read_vector(path, target_epsg=28992)
        for fn in (polygon_parts, line_parts, point_coords):
            try:
                fn(lay, split=True)
            except CptedError:
                pass


def _mutations(data: bytes, rng, n: int):
    for _ in range(n):
        b = bytearray(data)
        kind = rng.integers(4)
        if kind == 0:
            b = b[: rng.integers(0, len(b))]
        elif kind == 1:
            for _ in range(rng.integers(1, 20)):
                b[rng.integers(len(b))] = rng.integers(256)
        elif kind == 2:
            i = rng.integers(len(b))
            b = b[:i] + b[i:i + rng.integers(1, 400)] * int(rng.integers(2, 5)) + b[i:]
        else:
            i, j = sorted(rng.integers(0, len(b), 2))
            b = b[:i] + b[j:]
        yield bytes(b)


def _write_cases(folder, cases, suffix: str) -> list:
    """Each case's bytes as ``case<k><suffix>`` in ``folder``; their paths, in order."""
    paths = []
    for k, case in enumerate(cases):
        p = folder / f"case{k}{suffix}"
        p.write_bytes(case)
        paths.append(p)
    return paths


def test_mutated_geojson(shared_data, tmp_path):
    src = (shared_data / "city/delft_3dfier/bgt_wegdeel.geojson").read_bytes()
    doc = json.loads(src)
    doc["features"] = doc["features"][:5]
    small = json.dumps(doc).encode()
    rng = np.random.default_rng(20261203)
    paths = _write_cases(tmp_path, _mutations(small, rng, 150), ".geojson")
    counts = assert_only_library_errors(_use, paths, label="geojson")
    assert counts.get("VectorLayerError", 0) > 0


def test_mutated_geopackage(tmp_path):
    from pyogrio.raw import write

    geoms = np.array([shapely.box(85000 + i, 447500, 85001 + i, 447501) for i in range(20)],
                     dtype=object)
    base = tmp_path / "base.gpkg"
    write(str(base), shapely.to_wkb(geoms), geometry_type="Polygon",
          field_data=[np.arange(20)], fields=["id"], crs="EPSG:28992")
    data = base.read_bytes()
    rng = np.random.default_rng(7)
    paths = _write_cases(tmp_path, _mutations(data, rng, 80), ".gpkg")
    counts = assert_only_library_errors(_use, paths, label="gpkg")
    assert sum(counts.values()) == 80
