"""Writing results.gpkg of the demo: the share of report time the GeoPackage takes.

The demo (3 variants, 8,070 calculation points, 7 layers) is run once; the benchmark writes
its GeoPackage (``write_geopackage``) and, as the peer, its ``fields.npz``.
Run: ``PYTHONPATH=src python -m pytest -q benchmarks/test_bench_geopackage.py --benchmark-only``
"""

from __future__ import annotations

import pytest

pytest.importorskip("pyogrio")
pytest.importorskip("shapely")

from cpted_sim.io.geopackage import write_geopackage  # noqa: E402
from cpted_sim.io.results import write_fields_npz  # noqa: E402


@pytest.fixture(scope="module")
def demo():
    import cpted_sim as cs
    from cpted_sim.scenario.demo import demo_scenario_path

    return cs.compare(cs.load_scenario(demo_scenario_path()), quiet=True)


def test_demo_geopackage(benchmark, demo, tmp_path):
    c = demo
    benchmark.extra_info["compute_s"] = sum(r.elapsed_s for r in (c.base, *c.variants))
    benchmark.extra_info["points"] = sum(a.grid.n_points for r in (c.base, *c.variants)
                                         for a in r.areas.values())
    p = benchmark(write_geopackage, c, tmp_path / "results.gpkg")
    assert p.stat().st_size > 0


def test_demo_fields_npz(benchmark, demo, tmp_path):
    p = benchmark(write_fields_npz, demo, tmp_path / "fields.npz")
    assert p.stat().st_size > 0
