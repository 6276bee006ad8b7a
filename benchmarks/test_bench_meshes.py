"""Mesh reading speed: the project's own PLY and STL parsers beside trimesh's, and the Delft
OBJ and CityJSON files of the shared data.

The own parsers check more (counts against the header, concave polygons triangulated,
finite coordinates); these runs show what that costs. Run:
``PYTHONPATH=src python -m pytest -q benchmarks/test_bench_meshes.py --benchmark-only``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from cpted_sim.io.cityjson import read_cityjson
from cpted_sim.io.mesh import read_obj, read_ply, read_stl

trimesh = pytest.importorskip("trimesh", reason="trimesh is the peer these runs compare with "
                                                "(pip install trimesh)")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sphere_files(tmp_path_factory):
    """A 327,680-triangle icosphere as binary and ASCII PLY and binary STL."""
    mesh = trimesh.creation.icosphere(subdivisions=7)
    folder = tmp_path_factory.mktemp("meshes")
    files = {"ply-binary": folder / "sphere_bin.ply", "ply-ascii": folder / "sphere_ascii.ply",
             "stl-binary": folder / "sphere.stl"}
    mesh.export(files["ply-binary"], encoding="binary")
    mesh.export(files["ply-ascii"], encoding="ascii")
    mesh.export(files["stl-binary"])
    return files


READERS = {"ply-binary": read_ply, "ply-ascii": read_ply, "stl-binary": read_stl}


@pytest.mark.parametrize("fmt", list(READERS))
@pytest.mark.parametrize("engine", ["cpted_sim", "trimesh"])
def test_read_sphere(benchmark, sphere_files, fmt, engine):
    path = sphere_files[fmt]
    benchmark.group = f"read {fmt}"
    if engine == "trimesh":
        result = benchmark(trimesh.load, path, process=False)
        assert len(result.faces) == 327_680
    else:
        result = benchmark(READERS[fmt], path)
        assert len(result[1]) == 327_680


def _shared_city() -> Path:
    for base in (os.environ.get("CPTED_SIM_SHARED_DATA"), ROOT.parent / "shared" / "data"):
        if base and (Path(base) / "city" / "delft_3dfier").is_dir():
            return Path(base) / "city" / "delft_3dfier"
    pytest.skip("shared city files not found (set CPTED_SIM_SHARED_DATA)")


def test_read_delft_obj(benchmark):
    benchmark.group = "read shared city"
    _, faces, _ = benchmark(read_obj, _shared_city() / "testarea.obj")
    assert len(faces) == 28_619


def test_read_delft_cityjson(benchmark):
    benchmark.group = "read shared city"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the file has its transform: no warning expected
        mesh = benchmark(read_cityjson, _shared_city() / "delft.json")
    assert len(mesh.faces) == 36_271
