"""GIS input speed: reading the Delft BGT road layer and transforming it, road centre lines.

Reads ``city/delft_3dfier/bgt_wegdeel.geojson`` (151 polygons, 4,577 vertices) into
EPSG:28992 (no transformation: its own CRS), the same layer written in WGS84 into
EPSG:28992 (pyproj on every vertex), and the centre lines of its 32 carriageways.
Run: ``PYTHONPATH=src python -m pytest -q benchmarks/test_bench_vector.py --benchmark-only``
(``CPTED_SIM_SHARED_DATA`` may point at the shared data folder when it is not ``../shared/data``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pyogrio = pytest.importorskip("pyogrio")
shapely = pytest.importorskip("shapely")
pyproj = pytest.importorskip("pyproj")

from cpted_sim.io.roads import centre_line  # noqa: E402
from cpted_sim.io.vector import polygon_parts, read_vector  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _bgt() -> Path:
    for base in (os.environ.get("CPTED_SIM_SHARED_DATA"), ROOT.parent / "shared" / "data"):
        if base and (Path(base) / "city/delft_3dfier/bgt_wegdeel.geojson").is_file():
            return Path(base) / "city/delft_3dfier/bgt_wegdeel.geojson"
    pytest.skip("shared city data not found (set CPTED_SIM_SHARED_DATA)")


@pytest.fixture(scope="module")
def bgt_wgs84(tmp_path_factory):
    from pyogrio.raw import read, write

    meta, _, wkb, values = read(str(_bgt()))
    tr = pyproj.Transformer.from_crs(28992, 4326, always_xy=True)
    geoms = shapely.transform(shapely.from_wkb(wkb),
                              lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    out = tmp_path_factory.mktemp("bgt") / "bgt_wgs84.gpkg"
    write(str(out), shapely.to_wkb(geoms), geometry_type="Polygon", field_data=values,
          fields=meta["fields"], crs="EPSG:4326")
    return out


def test_read_bgt_layer_rd(benchmark):
    lay = benchmark(read_vector, _bgt(), target_epsg=28992)
    assert len(lay) == 151


def test_read_and_transform_bgt_layer_wgs84(benchmark, bgt_wgs84):
    lay = benchmark(read_vector, bgt_wgs84, target_epsg=28992)
    benchmark.extra_info["vertices"] = int(shapely.get_num_coordinates(lay.geometries).sum())
    assert len(lay) == 151


def test_bgt_carriageway_centre_lines(benchmark):
    lay = read_vector(_bgt(), where="function = 'rijbaan lokale weg'", target_epsg=28992)
    polys = [shapely.Polygon(p.coords, p.holes) for p in polygon_parts(lay)]
    axes = benchmark(lambda: [centre_line(g) for g in polys])
    assert len(axes) == 32
