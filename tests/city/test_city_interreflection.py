"""Interreflection tiled: 4 tiles against the uncut town, within the measured error
(cpted_sim.city.job, run; docs/city_scale.md, Interreflection)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cpted_sim.city import run_city, write_town
from cpted_sim.io.scenario_file import load_scenario


def _fields(out):
    with np.load(out / "city_fields.npz") as z:
        return {k: z[k] for k in z.files}


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """The town of test_city_run (2 x 2 districts, ~210 m, 30 m light and 25 m window range)."""
    folder = tmp_path_factory.mktemp("irtown")
    write_town(folder, target_triangles=10_000, districts=2, spacing=2.0, light_range=30.0,
               sight_range=25.0)
    sc = load_scenario(folder / "town.toml")
    return folder, replace(sc, areas=(replace(sc.areas[0], quantities=("E_h", "E_sc")),))


@pytest.mark.slow
def test_four_tiles_with_interreflection_are_within_the_stated_error(town, tmp_path):
    folder, sc = town
    ir = replace(sc, settings=replace(sc.settings, bounces=1))
    kw = dict(town=folder, scheduler="synchronous", patch_size=2.0)
    direct = run_city(sc, tmp_path / "direct", tile_size=1000.0, **kw)
    whole = run_city(ir, tmp_path / "whole", tile_size=1000.0, **kw)
    cut = run_city(ir, tmp_path / "cut", tile_size=106.0, reflection_margin=20.0, **kw)
    assert direct["tiles"] == whole["tiles"] == 1 and cut["tiles"] == 4
    assert cut["halo"] == 50.0                          # light range 30 m + margin 20 m
    for i in cut["infos"]:
        assert i["patches"] > 10_000 and i["radiosity_s"] > 0.0
    d, w, c = (_fields(tmp_path / k) for k in ("direct", "whole", "cut"))
    for q, indirect_min, rel_tol, p99_tol in (
            # measured (2026-12-03, 6,071 points on the ground, outside buildings): indirect
            # mean 0.127 lx (1.6 % of E_h), mean |cut - whole| 0.140 % of the mean, 99th
            # percentile 0.074 lx
            ("E_h", 0.06, 0.004, 0.18),
            # indirect mean 0.361 lx (12.9 % of E_sc), mean |cut - whole| 0.77 %, p99 0.126 lx
            ("E_sc", 0.15, 0.022, 0.3)):
        m = np.isfinite(w[q])
        assert np.array_equal(m, np.isfinite(c[q]))
        assert np.mean(w[q][m] - d[q][m]) > indirect_min, q       # the bounce is there
        diff = np.abs(c[q][m] - w[q][m])
        assert diff.max() > 0.0                                   # a solver of its own per tile
        assert diff.mean() / w[q][m].mean() < rel_tol, q
        assert np.percentile(diff, 99) < p99_tol, q


def test_the_reflection_margin_widens_only_runs_with_bounces(town, tmp_path):
    from cpted_sim.city import prepare_job
    from cpted_sim.errors import ParameterError

    folder, sc = town
    job = prepare_job(sc, tmp_path / "a", town=folder, reflection_margin=20.0)
    assert job.reflection_margin == 0.0 and job.halo == 30.0
    ir = replace(sc, settings=replace(sc.settings, bounces="converged"))
    job = prepare_job(ir, tmp_path / "b", town=folder)
    assert job.reflection_margin == 20.0 and job.halo == 50.0
    with pytest.raises(ParameterError, match="reflection margin"):
        prepare_job(ir, tmp_path / "c", town=folder, reflection_margin=-1.0)
